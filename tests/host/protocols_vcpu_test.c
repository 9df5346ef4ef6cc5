/*
 * Host tests for SVSM_CORE_CREATE_VCPU, SVSM_CORE_DELETE_VCPU and SVSM_CORE_REMAP_CA against
 * the fake backend: success paths, the Linux replace-then-delete flow, alignment and APIC ID
 * checks, collisions with Bastion's pages, VMSAs and other vCPUs' CAAs, the VMSA content
 * checks, FAIL_INUSE, deleting one's own VMSA, and undo after every platform failure.
 */
#include <string.h>

#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "tests/host/fake_core_backend.h"
#include "tests/ktest/ktest.h"

#define CREATE_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_CREATE_VCPU)
#define DELETE_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_DELETE_VCPU)
#define REMAP_RAX SVSM_CALL_RAX(SVSM_CORE_PROTOCOL, SVSM_CORE_REMAP_CA)

#define R_G 0x01u
#define R_GV 0x05u
#define R_GVMSA 0x15u
#define R_GCAA 0x25u

#define MIB (1ull << 20)
#define VMSA_A 0x5000ull
#define CAA_A 0x6000ull
#define VMSA_B 0x7000ull
#define CAA_B 0x8000ull

static uint32_t create(struct fake_core *f, uint32_t caller, uint64_t vmsa, uint64_t caa,
		       uint64_t apic)
{
	return fake_call(f, caller, CREATE_RAX, vmsa, caa, apic, 0);
}

static uint32_t delete_vmsa(struct fake_core *f, uint32_t caller, uint64_t vmsa)
{
	return fake_call(f, caller, DELETE_RAX, vmsa, 0, 0, 0);
}

KTEST(protocols_vcpu, create_success)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(f->regs.rcx, VMSA_A);
	EXPECT_EQ(f->regs.rdx, CAA_A);
	EXPECT_EQ(f->regs.r8, 1ull);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GVMSA);
	EXPECT_EQ(fake_record(f, CAA_A), R_GCAA);
	EXPECT_EQ(f->hw[VMSA_A / 4096], FAKE_HW_VALIDATED | FAKE_HW_VMSA);
	EXPECT_TRUE(f->vcpu[1].has_vmsa);
	EXPECT_EQ(f->vcpu[1].vmsa, VMSA_A);
	EXPECT_TRUE(f->vcpu[1].has_caa);
	EXPECT_EQ(f->vcpu[1].caa, CAA_A);
	/* APIC IDs are looked up, not used as indexes; R8[63:32] is ignored. */
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_B, CAA_B, (0xDEADull << 32) | 7), SVSM_SUCCESS);
	EXPECT_EQ(f->vcpu[3].vmsa, VMSA_B);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_register_checks)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A + 8, CAA_A, 1), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A + 0x800, 1), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(create(f, 0, VMSA_A, VMSA_A, 1), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 3), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 0xFFFFFFFFull), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 0), SVSM_ERR_INVALID_REQUEST);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
	EXPECT_EQ(fake_record(f, CAA_A), R_GV);
	EXPECT_FALSE(f->vcpu[1].has_vmsa);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_collisions)
{
	static const struct {
		uint64_t vmsa;
		uint64_t caa;
	} cases[] = {
		{ FAKE_BOOT_VMSA, CAA_A },          { FAKE_BOOT_CAA, CAA_A },
		{ VMSA_A, FAKE_BOOT_CAA },          { VMSA_A, FAKE_BOOT_VMSA },
		{ FAKE_BASTION_BASE + 0x1000, CAA_A }, { VMSA_A, FAKE_BASTION_BASE + 0x1000 },
		{ 4 * MIB + 0x1000, CAA_A },        { VMSA_A, 4 * MIB + 0x2000 },
		{ FAKE_HOLE_BASE + 0x1000, CAA_A }, { VMSA_A, FAKE_HOLE_BASE + 0x1000 },
		{ 0xFFFFFFFFFFFFF000ull, CAA_A },   { VMSA_A, 0xFFFFFFFFFFFFF000ull },
	};
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(create(f, 0, cases[i].vmsa, cases[i].caa, 1), SVSM_ERR_INVALID_ADDRESS);
		EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
		EXPECT_EQ(fake_record(f, CAA_A), R_GV);
		EXPECT_EQ(fake_record(f, FAKE_BOOT_VMSA), R_GVMSA);
		EXPECT_EQ(fake_record(f, FAKE_BOOT_CAA), R_GCAA);
		EXPECT_FALSE(f->vcpu[1].has_vmsa);
		EXPECT_NULL(fake_core_check(f));
	}
	/* Another vCPU's CAA, and its VMSA. */
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_B, CAA_A, 2), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(create(f, 0, CAA_B, VMSA_A, 2), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(fake_record(f, VMSA_B), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_vmsa_content_checks)
{
	static const struct {
		uint8_t vmpl;
		uint64_t efer;
		uint64_t sev_features;
	} bad[] = {
		{ 0, VMSA_EFER_SVME, FAKE_SEV_FEATURES }, /* VMPL0 */
		{ 1, VMSA_EFER_SVME, FAKE_SEV_FEATURES }, /* more privileged than the caller */
		{ 4, VMSA_EFER_SVME, FAKE_SEV_FEATURES }, /* no such VMPL */
		{ 0xFF, VMSA_EFER_SVME, FAKE_SEV_FEATURES },
		{ 2, 0, FAKE_SEV_FEATURES }, /* SVME clear */
		{ 2, ~VMSA_EFER_SVME, FAKE_SEV_FEATURES },
		{ 2, VMSA_EFER_SVME, FAKE_SEV_FEATURES | SEV_FEATURE_DEBUG_SWAP }, /* features */
		{ 2, VMSA_EFER_SVME, 0 },
	};
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_put_vmsa(f, VMSA_A, bad[i].vmpl, bad[i].efer, bad[i].sev_features);
		EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_ERR_INVALID_PARAMETER);
		/* Undone: both pages plain again, the guest has its access back. */
		EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
		EXPECT_EQ(fake_record(f, CAA_A), R_GV);
		EXPECT_EQ(f->hw[VMSA_A / 4096], FAKE_HW_VALIDATED | FAKE_HW_ACCESS);
		EXPECT_NULL(fake_core_check(f));
	}
	/* VMPL 3 is fine below a VMPL 2 caller; a VMPL 3 caller cannot create VMPL 2. */
	fake_put_vmsa(f, VMSA_A, 3, VMSA_EFER_SVME, FAKE_SEV_FEATURES);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	f->vcpu[0].vmpl = 3;
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_B, CAA_B, 2), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_platform_failures_undo)
{
	static const struct {
		enum fake_op op;
		uint32_t code;
		uint32_t expect;
	} cases[] = {
		{ FAKE_OP_REVOKE, CORE_ARCH_FAIL_INPUT, SVSM_PVALIDATE_FAIL_INPUT },
		{ FAKE_OP_VMSA_READ, 0, SVSM_ERR_INVALID_ADDRESS },
		{ FAKE_OP_VMSA_MAKE, CORE_ARCH_FAIL_PERMISSION,
		  SVSM_ERR_RMPADJUST_FAIL_PERMISSION },
		{ FAKE_OP_VMSA_MAKE, 0x40, SVSM_PVALIDATE_FAIL_UNEXPECTED },
	};
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f->fail[cases[i].op] = (struct fake_fail){ .code = cases[i].code, .nth = 1 };
		EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), cases[i].expect);
		EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
		EXPECT_EQ(fake_record(f, CAA_A), R_GV);
		EXPECT_FALSE(f->vcpu[1].has_vmsa);
		EXPECT_NULL(fake_core_check(f));
		f->fail[cases[i].op] = (struct fake_fail){ 0 };
	}
	/* A 2 MiB-aligned VMSA page: the platform refuses it (SNP erratum). */
	fake_put_good_vmsa(f, 2 * MIB);
	EXPECT_EQ(create(f, 0, 2 * MIB, CAA_A, 1), SVSM_PVALIDATE_FAIL_INPUT);
	EXPECT_EQ(fake_record(f, 2 * MIB), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_out_of_memory_undo)
{
	struct fake_core *f = fake_core_new();
	uint64_t uniform_page = 2 * MIB + 0x3000; /* [2, 4) MiB is one uniform chunk */

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	fake_put_good_vmsa(f, uniform_page);
	f->alloc_fail = true;
	EXPECT_EQ(create(f, 0, uniform_page, CAA_A, 1), CORE_RESULT_NO_MEMORY);
	EXPECT_EQ(create(f, 0, VMSA_A, uniform_page, 1), CORE_RESULT_NO_MEMORY);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
	EXPECT_EQ(fake_record(f, uniform_page), R_GV);
	EXPECT_NULL(fake_core_check(f));
	f->alloc_fail = false;
	EXPECT_EQ(create(f, 0, VMSA_A, uniform_page, 1), SVSM_SUCCESS);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, linux_replace_then_delete)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 2), SVSM_SUCCESS);
	/* CPU hotplug: a new VMSA for the same APIC ID and the same per-CPU CAA, then the old
	 * VMSA is deleted. */
	EXPECT_EQ(create(f, 0, VMSA_B, CAA_A, 2), SVSM_SUCCESS);
	EXPECT_EQ(f->vcpu[2].vmsa, VMSA_B);
	EXPECT_EQ(f->vcpu[2].caa, CAA_A);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GVMSA);
	EXPECT_NULL(fake_core_check(f));
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
	EXPECT_EQ(f->hw[VMSA_A / 4096], FAKE_HW_VALIDATED | FAKE_HW_ACCESS);
	EXPECT_TRUE(f->vcpu[2].has_vmsa);
	EXPECT_EQ(f->vcpu[2].vmsa, VMSA_B);
	EXPECT_EQ(fake_record(f, CAA_A), R_GCAA);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, create_with_new_caa_releases_old)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(create(f, 0, VMSA_B, CAA_B, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, CAA_A), R_GV);
	EXPECT_EQ(fake_record(f, CAA_B), R_GCAA);
	EXPECT_EQ(f->vcpu[1].caa, CAA_B);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, delete_success)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 2), SVSM_SUCCESS);
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_SUCCESS);
	EXPECT_FALSE(f->ctx.caller_vmsa_deleted);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GV);
	EXPECT_EQ(fake_record(f, CAA_A), R_GV);
	EXPECT_FALSE(f->vcpu[2].has_vmsa);
	EXPECT_FALSE(f->vcpu[2].has_caa);
	EXPECT_EQ(fake_get_u64(f, VMSA_A + offsetof(struct vmsa, efer)) & VMSA_EFER_SVME, 0ull);
	EXPECT_NULL(fake_core_check(f));
	/* The pages can be used again. */
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 2), SVSM_SUCCESS);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, delete_refusals)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A + 0x10), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_B), SVSM_ERR_INVALID_PARAMETER);  /* not a VMSA */
	EXPECT_EQ(delete_vmsa(f, 0, CAA_A), SVSM_ERR_INVALID_PARAMETER);   /* a CAA */
	EXPECT_EQ(delete_vmsa(f, 0, FAKE_HOLE_BASE), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(delete_vmsa(f, 0, FAKE_BASTION_BASE), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(delete_vmsa(f, 0, FAKE_BOOT_VMSA), SVSM_ERR_INVALID_PARAMETER); /* boot */
	EXPECT_EQ(delete_vmsa(f, 1, FAKE_BOOT_VMSA), SVSM_ERR_INVALID_PARAMETER);
	f->fail[FAKE_OP_VMSA_READ] = (struct fake_fail){ .nth = 1 };
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_ERR_INVALID_ADDRESS);
	/* A VMSA more privileged than the caller. */
	f->vcpu[0].vmpl = 3;
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_ERR_INVALID_PARAMETER);
	f->vcpu[0].vmpl = FAKE_GUEST_VMPL;
	EXPECT_EQ(fake_record(f, VMSA_A), R_GVMSA);
	EXPECT_EQ(fake_record(f, CAA_A), R_GCAA);
	EXPECT_TRUE(f->vcpu[1].has_vmsa);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, delete_running_is_fail_inuse)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	f->has_running_vmsa = true;
	f->running_vmsa = VMSA_A;
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_ERR_FAIL_INUSE);
	EXPECT_EQ(f->regs.rax, 0x80001003ull);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GVMSA);
	EXPECT_EQ(fake_record(f, CAA_A), R_GCAA);
	EXPECT_TRUE(f->vcpu[1].has_vmsa);
	EXPECT_NULL(fake_core_check(f));
	f->has_running_vmsa = false;
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_SUCCESS);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, delete_platform_failure_undo)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	f->fail[FAKE_OP_VMSA_UNMAKE] = (struct fake_fail){ .code = CORE_ARCH_FAIL_INPUT, .nth = 1 };
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_PVALIDATE_FAIL_INPUT);
	EXPECT_EQ(fake_record(f, VMSA_A), R_GVMSA);
	EXPECT_EQ(fake_record(f, CAA_A), R_GCAA);
	EXPECT_TRUE(f->vcpu[1].has_vmsa);
	EXPECT_NULL(fake_core_check(f));
	/* The guest retries and it works. */
	EXPECT_EQ(delete_vmsa(f, 0, VMSA_A), SVSM_SUCCESS);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, delete_own_vmsa)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(delete_vmsa(f, 1, VMSA_A), SVSM_SUCCESS);
	EXPECT_TRUE(f->ctx.caller_vmsa_deleted);
	EXPECT_FALSE(f->vcpu[1].has_vmsa);
	EXPECT_FALSE(f->vcpu[1].has_caa);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, boot_vcpu_recreated_by_another)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	fake_put_good_vmsa(f, VMSA_B);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	/* vCPU 1 gives the boot vCPU a new VMSA, keeping its CAA. */
	EXPECT_EQ(create(f, 1, VMSA_B, FAKE_BOOT_CAA, 0), SVSM_SUCCESS);
	EXPECT_EQ(f->vcpu[0].vmsa, VMSA_B);
	/* The replaced boot VMSA may go; the current one may not. */
	EXPECT_EQ(delete_vmsa(f, 1, VMSA_B), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(delete_vmsa(f, 1, FAKE_BOOT_VMSA), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, FAKE_BOOT_CAA), R_GCAA);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, remap_ca_success)
{
	struct fake_core *f = fake_core_new();
	uint8_t head[2] = { 1, 1 };

	ASSERT_NOT_NULL(f);
	fake_mem_put(f, CAA_B, head, 2);
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_B, 0x22, 0x33, 0x44), SVSM_SUCCESS);
	EXPECT_EQ(f->regs.rcx, CAA_B);
	EXPECT_EQ(f->regs.rdx, 0x22ull);
	fake_mem_get(f, CAA_B, head, 2);
	EXPECT_EQ(head[0], 0u); /* call_pending cleared */
	EXPECT_EQ(head[1], 0u); /* mem_available: the pool is empty */
	EXPECT_EQ(fake_record(f, CAA_B), R_GCAA);
	EXPECT_EQ(fake_record(f, FAKE_BOOT_CAA), R_GV);
	EXPECT_EQ(f->vcpu[0].caa, CAA_B);
	EXPECT_NULL(fake_core_check(f));
	/* The same page again: nothing to do. */
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_B, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, CAA_B), R_GCAA);
	/* Back to the old page. */
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, FAKE_BOOT_CAA, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(fake_record(f, CAA_B), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, remap_ca_refusals)
{
	struct fake_core *f = fake_core_new();
	static const uint64_t bad_address[] = {
		FAKE_BASTION_BASE, FAKE_BOOT_VMSA,  4 * MIB + 0x5000, FAKE_HOLE_BASE,
		FAKE_MEM_SIZE,     0xFFFFFFFFFFFFF000ull,
	};

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_B + 8, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_B + 0xFFF, 0, 0, 0), SVSM_ERR_INVALID_PARAMETER);
	for (size_t i = 0; i < sizeof(bad_address) / sizeof(bad_address[0]); i++) {
		EXPECT_EQ(fake_call(f, 0, REMAP_RAX, bad_address[i], 0, 0, 0),
			  SVSM_ERR_INVALID_ADDRESS);
	}
	/* Another vCPU's CAA. */
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_A, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(fake_call(f, 1, REMAP_RAX, FAKE_BOOT_CAA, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	/* The new CAA cannot be written: everything undone. */
	f->fail[FAKE_OP_WRITE] = (struct fake_fail){ .nth = 1 };
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, CAA_B, 0, 0, 0), SVSM_ERR_INVALID_ADDRESS);
	EXPECT_EQ(fake_record(f, CAA_B), R_GV);
	EXPECT_EQ(fake_record(f, FAKE_BOOT_CAA), R_GCAA);
	EXPECT_EQ(f->vcpu[0].caa, FAKE_BOOT_CAA);
	/* Out of memory for the ledger. */
	f->alloc_fail = true;
	EXPECT_EQ(fake_call(f, 0, REMAP_RAX, 2 * MIB + 0x1000, 0, 0, 0), CORE_RESULT_NO_MEMORY);
	EXPECT_EQ(fake_record(f, 2 * MIB + 0x1000), R_GV);
	f->alloc_fail = false;
	EXPECT_EQ(f->vcpu[0].caa, FAKE_BOOT_CAA);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}

KTEST(protocols_vcpu, remap_ca_of_an_application_processor)
{
	struct fake_core *f = fake_core_new();

	ASSERT_NOT_NULL(f);
	fake_put_good_vmsa(f, VMSA_A);
	EXPECT_EQ(create(f, 0, VMSA_A, CAA_A, 1), SVSM_SUCCESS);
	EXPECT_EQ(fake_call(f, 1, REMAP_RAX, CAA_B, 0, 0, 0), SVSM_SUCCESS);
	EXPECT_EQ(f->vcpu[1].caa, CAA_B);
	EXPECT_EQ(f->vcpu[0].caa, FAKE_BOOT_CAA);
	EXPECT_EQ(fake_record(f, CAA_A), R_GV);
	EXPECT_NULL(fake_core_check(f));
	fake_core_free(f);
}
