#include "kernel/guest_boot.h"

#include "arch/x86/snp/secrets.h"
#include "arch/x86/snp/vmsa_build.h"
#include "kernel/firmware.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/platform.h"
#include "kernel/request_loop.h"
#include "kernel/string.h"
#include "kernel/vcpu.h"
#include "mm/guest_mem.h"
#include "mm/mm.h"
#include "mm/page_state.h"
#include "mm/slab.h"

static const char *exit_name(enum platform_exit e)
{
	switch (e) {
	case PLATFORM_EXIT_SVSM_CALL:
		return "SVSM call";
	case PLATFORM_EXIT_HALT:
		return "halt";
	case PLATFORM_EXIT_SHUTDOWN:
		return "shutdown";
	case PLATFORM_EXIT_TERMINATED:
		return "stopped";
	default:
		return "unknown";
	}
}

/*
 * Writes the guest's secrets page and clears its calling area (SVSM spec 58019, "SVSM
 * discovery": the guest finds the SVSM and its first CAA in the secrets page). Returns true
 * when the guest can call the SVSM.
 */
static bool offer_svsm(const struct platform_ops *p, const struct firmware_image *fw, struct vcpu *boot)
{
	const struct snp_secrets_page *real = secrets_bastion_copy();
	struct secrets_svsm_info info = {
		.base = BASTION_REGION_GPA,
		.size = BASTION_REGION_SIZE,
		.caa = fw->caa_gpa,
		.guest_vmpl = boot->vmpl,
	};
	struct snp_secrets_page *zero = NULL, *copy = NULL;
	enum guest_mem_result r = GUEST_MEM_OK;
	bool ok = false;

	if (fw->secrets_gpa == 0 || fw->caa_gpa == 0) {
		LOG_INFO("the firmware declares no %s: no SVSM for it",
			 fw->secrets_gpa == 0 ? "secrets page" : "SVSM calling area");
		return false;
	}
	if (p->guest_page_accept(gpa_init(fw->secrets_gpa)) != 0 ||
	    p->guest_page_accept(gpa_init(fw->caa_gpa)) != 0) {
		LOG_ERROR("the firmware's secrets page or calling area is not usable guest memory: no SVSM for it");
		return false;
	}
	zero = kmalloc(sizeof(*zero));
	copy = kmalloc(sizeof(*copy));
	if (zero == NULL || copy == NULL) {
		LOG_ERROR("no memory for the guest's secrets page: no SVSM for the firmware");
		goto out;
	}
	bastion_memset(zero, 0, sizeof(*zero));
	/* Native: no PSP, so no keys; the page carries only the SVSM fields. */
	if (secrets_build_guest_copy(real != NULL ? real : zero, &info, copy) != SNP_OK) {
		LOG_ERROR("cannot build the guest's secrets page: no SVSM for the firmware");
		goto out;
	}
	r = guest_copy_to(gpa_init(fw->secrets_gpa), copy, sizeof(*copy));
	if (r == GUEST_MEM_OK) {
		r = guest_copy_to(gpa_init(fw->caa_gpa), zero, sizeof(*zero));
	}
	if (r != GUEST_MEM_OK) {
		LOG_ERROR("cannot write the guest's secrets page or calling area (%s): no SVSM for the firmware",
			  guest_mem_result_name(r));
		goto out;
	}
	/* The ledger must know the calling area, or a guest could rescind or deposit it under
	 * Bastion's feet and REMAP_CA could not release it (the conformance guest found this). */
	if (page_state_apply(mm_page_state(), gpa_init(fw->caa_gpa), PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0) !=
	    PS_OK) {
		LOG_ERROR("the firmware's calling area 0x%lx cannot become a CAA: no SVSM for it", fw->caa_gpa);
		goto out;
	}
	boot->has_caa = true;
	boot->caa = gpa_init(fw->caa_gpa);
	LOG_INFO("SVSM offered to the firmware: secrets page 0x%lx, calling area 0x%lx",
		 fw->secrets_gpa, fw->caa_gpa);
	ok = true;
out:
	if (copy != NULL) {
		mem_wipe(copy, sizeof(*copy));
		kfree(copy);
	}
	kfree(zero);
	return ok;
}

void guest_boot(void)
{
	const struct firmware_image *fw = firmware_image();
	const struct platform_ops *p = platform();
	struct vcpu *boot = vcpu_get(0);
	struct vmsa *s = NULL;
	bool svsm = false;

	if (!fw->present) {
		LOG_INFO("no guest firmware in the IGVM file: idle");
		return;
	}
	boot->pv = p->vcpu_create();
	if (boot->pv == NULL) {
		LOG_ERROR("no memory for the guest's boot vCPU");
		return;
	}
	s = p->vcpu_vmsa(boot->pv);
	/* The architectural reset state at the firmware's reset vector (the same VMSA on both
	 * platforms; VMPL and SEV features mean nothing to plain SVM, so they are cleared). */
	if (vmsa_build_guest_boot(s, fw->reset_vector, boot->vmpl, p->guest_sev_status()) != SNP_OK) {
		LOG_ERROR("cannot build the guest's reset state");
		return;
	}
	if (!p->has_vmpls) {
		s->vmpl = 0;
		s->sev_features = 0;
	}
	svsm = offer_svsm(p, fw, boot);
	LOG_INFO("entering the guest firmware at its reset vector 0x%lx", fw->reset_vector);
	for (;;) {
		enum platform_exit e = svsm ? request_loop_run(boot, p->core_backend())
					    : p->enter_guest(boot->pv);

		LOG_VERBOSE("guest exit: %s", exit_name(e));
		/* HLT: the guest waits for an interrupt, which (passed through) can only reach it
		 * in guest mode: enter it again. Without an SVSM a VMGEXIT has no answer. */
		if (e == PLATFORM_EXIT_SVSM_CALL || e == PLATFORM_EXIT_HALT) {
			continue;
		}
		LOG_INFO("guest %s (rip 0x%lx, exit code 0x%lx); Bastion stays up", exit_name(e),
			 s->rip, s->guest_exit_code);
		return;
	}
}
