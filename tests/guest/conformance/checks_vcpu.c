/*
 * CREATE_VCPU and DELETE_VCPU misuse (ABI reference 2.2 and 4.2; docs/abi.md rows 2-3, D8,
 * D9). The VM has two vCPUs (tests/conformance_test.sh passes --smp 2): APIC ID 0 is ours,
 * APIC ID 1 is a vCPU without a VMSA yet, so each check below has exactly one fault.
 *
 * On the native platform Bastion does not accept guest-supplied VMSAs yet: a request that
 * passes every check fails when the page is turned into a VMSA, with FAIL_INPUT 0x80001001
 * (docs/abi.md row 2: "0x80001000+EAX"; arch/x86/svm/svm_core.c).
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

#define AP_APIC_ID 1u
#define NO_SUCH_APIC_ID 7u

/* VMSA fields (ABI reference 4.2). */
#define VMSA_VMPL 0x0CA
#define VMSA_EFER 0x0D0
#define VMSA_SEV_FEATURES 0x3B0
#define EFER_SVME (1ull << 12)
#define MSR_SEV_STATUS 0xC0010131u

static uint64_t create(uint64_t vmsa, uint64_t caa, uint64_t apic_id)
{
	struct svsm_regs r;

	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_CREATE_VCPU, vmsa, caa, apic_id, &r);
}

static uint64_t delete(uint64_t vmsa)
{
	struct svsm_regs r;

	return svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_DELETE_VCPU, vmsa, 0, 0, &r);
}

/* The boot vCPU's SEV_FEATURES: SEV_STATUS bit n+2 is SEV_FEATURES bit n (ABI ref 3.1). */
static uint64_t boot_sev_features(void)
{
	return svsm.native ? 0 : rdmsr(MSR_SEV_STATUS) >> 2;
}

/* A VMSA the SVSM should accept: VMPL = ours, EFER.SVME, our SEV_FEATURES, marker at 0x800. */
static void vmsa_build(uint8_t vmpl, uint64_t efer, uint64_t sev_features)
{
	volatile uint8_t *v = gpa_ptr(VMSA_GPA);

	for (unsigned int i = 0; i < 4096; i++) {
		v[i] = 0;
	}
	v[VMSA_VMPL] = vmpl;
	*(volatile uint64_t *)(v + VMSA_EFER) = efer;
	*(volatile uint64_t *)(v + VMSA_SEV_FEATURES) = sev_features;
	*(volatile uint64_t *)(v + 0x800) = 0x7E57DA7A7E57DA7Aull;
}

void checks_vcpu(void)
{
	const uint8_t vmpl = svsm.guest_vmpl;
	const uint64_t feat = boot_sev_features();
	uint64_t rax = 0;

	vmsa_build(vmpl, EFER_SVME, feat);
	check_eq(create(VMSA_GPA + 8, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with a misaligned VMSA GPA: INVALID_PARAMETER");
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA + 8, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with a misaligned CAA GPA: INVALID_PARAMETER");
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, NO_SUCH_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU for an APIC ID no vCPU has: INVALID_PARAMETER");
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, 0), SVSM_ERR_INVALID_REQUEST,
		 "CREATE_VCPU for the caller's own APIC ID: INVALID_REQUEST (D8)");
	check_eq(create(VMSA_GPA, VMSA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with VMSA == CAA: INVALID_ADDRESS");
	check_eq(create(svsm.base + 0x20000, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with a VMSA in Bastion's region: INVALID_ADDRESS");
	check_eq(create(VMSA_GPA, svsm.base + 0x20000, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with a CAA in Bastion's region: INVALID_ADDRESS");
	check_eq(create(svsm_caa_gpa, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with our active CAA as the VMSA: INVALID_ADDRESS");
	check_eq(create(VMSA_GPA, svsm_caa_gpa, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with our active CAA as the new vCPU's CAA: INVALID_ADDRESS");
	check_eq(create(GUEST_RAM_END, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with a VMSA past RAM: INVALID_ADDRESS");
	check_eq(pvalidate_one(PAGE_D_GPA, SVSM_PAGE_SIZE_4K, false, false), SVSM_SUCCESS,
		 "PVALIDATE rescind of a scratch page (for the next check)");
	check_eq(create(PAGE_D_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_ADDRESS,
		 "CREATE_VCPU with an unvalidated VMSA page: INVALID_ADDRESS");
	check_eq(pvalidate_one(PAGE_D_GPA, SVSM_PAGE_SIZE_4K, true, false), SVSM_SUCCESS,
		 "PVALIDATE validate of that page again");

	/* VMSA contents: VMPL 1..3 and >= ours, EFER.SVME, the boot vCPU's SEV_FEATURES. */
	vmsa_build(0, EFER_SVME, feat);
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with VMSA.VMPL 0: INVALID_PARAMETER");
	vmsa_build(4, EFER_SVME, feat);
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with VMSA.VMPL 4: INVALID_PARAMETER");
	if (vmpl > 1) {
		vmsa_build((uint8_t)(vmpl - 1), EFER_SVME, feat);
		check_eq(create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
			 "CREATE_VCPU with VMSA.VMPL below ours: INVALID_PARAMETER");
	}
	vmsa_build(vmpl, 0, feat);
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with EFER.SVME clear: INVALID_PARAMETER");
	vmsa_build(vmpl, EFER_SVME, feat ^ (1ull << 1));
	check_eq(create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID), SVSM_ERR_INVALID_PARAMETER,
		 "CREATE_VCPU with SEV_FEATURES other than the boot vCPU's: INVALID_PARAMETER");

	/* A request that passes every check. */
	vmsa_build(vmpl, EFER_SVME, feat);
	rax = create(VMSA_GPA, VMSA_CAA_GPA, AP_APIC_ID);
	if (svsm.native) {
		check_eq(rax, SVSM_PVALIDATE_FAIL_INPUT,
			 "CREATE_VCPU of a valid VMSA on native: 0x80001001 (no guest VMSAs yet)");
		/* Every failure leaves both pages as they were, with our access restored (D8).
		 * If that is not so, the next read stops the guest (a missing summary line). */
		note("reading the VMSA page after the failed CREATE_VCPU");
		volatile uint8_t *v = gpa_ptr(VMSA_GPA);
		check_true(v[VMSA_VMPL] == vmpl &&
				   *(volatile uint64_t *)(v + 0x800) == 0x7E57DA7A7E57DA7Aull,
			   "CREATE_VCPU failure: the VMSA page is ours again, contents unchanged");
		check_eq(delete(VMSA_GPA), SVSM_ERR_INVALID_PARAMETER,
			 "DELETE_VCPU of the page the failed CREATE_VCPU named: INVALID_PARAMETER");
	} else {
		check_eq(rax, SVSM_SUCCESS, "CREATE_VCPU of a valid VMSA: SUCCESS");
		check_eq(create(VMSA_GPA, VMSA_CAA_GPA + 0x1000, AP_APIC_ID),
			 SVSM_ERR_INVALID_ADDRESS, "CREATE_VCPU naming an active VMSA: INVALID_ADDRESS");
		check_eq(pvalidate_one(VMSA_GPA, SVSM_PAGE_SIZE_4K, false, false),
			 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE rescind of an active VMSA: INVALID_ADDRESS");
		check_eq(delete(VMSA_GPA), SVSM_SUCCESS, "DELETE_VCPU of that VMSA: SUCCESS");
		check_eq(delete(VMSA_GPA), SVSM_ERR_INVALID_PARAMETER,
			 "DELETE_VCPU of it again: INVALID_PARAMETER");
	}

	/* DELETE_VCPU of things that are not VMSAs. */
	check_eq(delete(VMSA_GPA + 8), SVSM_ERR_INVALID_PARAMETER,
		 "DELETE_VCPU with a misaligned GPA: INVALID_PARAMETER");
	check_eq(delete(PAGE_C_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "DELETE_VCPU of a plain page (unknown VMSA): INVALID_PARAMETER");
	check_eq(delete(svsm_caa_gpa), SVSM_ERR_INVALID_PARAMETER,
		 "DELETE_VCPU of our CAA (not a VMSA): INVALID_PARAMETER");
	check_eq(delete(0), SVSM_ERR_INVALID_PARAMETER,
		 "DELETE_VCPU of GPA 0 (not a VMSA): INVALID_PARAMETER");
}
