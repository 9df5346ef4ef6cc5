/*
 * GHCB MSR protocol (GHCB spec 56421, "GHCB MSR Protocol"; ABI reference 3.3): exact request
 * encodings, and Bastion's reaction to every way a hypervisor can answer wrongly.
 */
#include "arch/x86/snp/ghcb_msr.h"
#include "tests/host/host_panic.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

/* Hooks that replace the mock's answer with script[0] (on every exit). */
static void hook_answer_script0(struct snp_mock_hv *hv, unsigned int exit_index, uint64_t req,
				uint64_t *resp)
{
	(void)exit_index;
	(void)req;
	*resp = hv->script[0];
}

/* XORs script[0] into the mock's (correct) answer. */
static void hook_flip_script0(struct snp_mock_hv *hv, unsigned int exit_index, uint64_t req,
			      uint64_t *resp)
{
	(void)exit_index;
	(void)req;
	*resp ^= hv->script[0];
}

KTEST(snp_ghcb_msr, request_encodings_match_the_spec_table)
{
	EXPECT_EQ(ghcb_msr_sev_info_req(), 0x002);
	/* leaf 63:32, register 31:30, function 0x004 */
	EXPECT_EQ(ghcb_msr_cpuid_req(0x8000001F, GHCB_MSR_CPUID_EBX), 0x8000001F40000004ull);
	EXPECT_EQ(ghcb_msr_cpuid_req(0x1, GHCB_MSR_CPUID_EDX), 0x00000001C0000004ull);
	/* GFN 63:12 */
	EXPECT_EQ(ghcb_msr_register_req(pfn_init(0x12345)), 0x12345012ull);
	/* GFN 51:12, operation 55:52 */
	EXPECT_EQ(ghcb_msr_psc_req(pfn_init(0xABCDE), GHCB_PSC_OP_SHARED), 0x00200000ABCDE014ull);
	EXPECT_EQ(ghcb_msr_psc_req(pfn_init(0xFFFFFFFFFFull), GHCB_PSC_OP_PRIVATE),
		  0x001FFFFFFFFFF014ull);
	/* target VMPL 39:32, bits 31:12 zero */
	EXPECT_EQ(ghcb_msr_run_vmpl_req(0), 0x016ull);
	EXPECT_EQ(ghcb_msr_run_vmpl_req(2), 0x0000000200000016ull);
	EXPECT_EQ(ghcb_msr_hv_features_req(), 0x080);
	/* reason set 15:12, reason code 23:16 */
	EXPECT_EQ(ghcb_msr_terminate_req(0, 2), 0x20100ull);
	EXPECT_EQ(ghcb_msr_terminate_req(1, 7), 0x71100ull);
	EXPECT_EQ(ghcb_msr_terminate_req(0xF, 0xFF), 0xFFF100ull);
}

KTEST(snp_ghcb_msr, sev_info_exchange)
{
	struct ghcb_msr_sev_info info = { 0 };

	snp_mock_hv_reset();
	ASSERT_EQ(ghcb_msr_sev_info(&info), SNP_OK);
	ASSERT_EQ(snp_mock.msr_write_count, 1);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x002);
	ASSERT_EQ(snp_mock.exit_count, 1);
	EXPECT_FALSE(snp_mock.exits[0].nae);
	EXPECT_EQ(info.max_version, 2);
	EXPECT_EQ(info.min_version, 1);
	EXPECT_EQ(info.cbit, 51);
}

KTEST(snp_ghcb_msr, sev_info_rejects_unsupported_versions)
{
	struct ghcb_msr_sev_info info = { 0 };

	snp_mock_hv_reset();
	snp_mock.ghcb_min_version = 3;
	snp_mock.ghcb_max_version = 4;
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_GHCB_VERSION);
	snp_mock.ghcb_min_version = 1;
	snp_mock.ghcb_max_version = 1;
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_GHCB_VERSION);
	snp_mock.ghcb_min_version = 2;
	snp_mock.ghcb_max_version = 1; /* min > max: nonsense */
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_GHCB_VERSION);
	snp_mock.ghcb_min_version = 2;
	snp_mock.ghcb_max_version = 2;
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_OK);
}

KTEST(snp_ghcb_msr, sev_info_rejects_wrong_code_and_reserved_bits)
{
	struct ghcb_msr_sev_info info = { 0 };

	snp_mock_hv_reset();
	snp_mock.msr_hook = hook_flip_script0;
	snp_mock.script[0] = 0x001 ^ 0x003; /* response code 0x003 */
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_MSR_RESP_CODE);
	snp_mock.script[0] = 1ull << 12; /* reserved bit 12 */
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_MSR_RESP_RESERVED);
	snp_mock.script[0] = 1ull << 23; /* reserved bit 23 */
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_MSR_RESP_RESERVED);
	/* The request echoed back unchanged (a host that ignores the protocol). */
	snp_mock.msr_hook = hook_answer_script0;
	snp_mock.script[0] = 0x002;
	EXPECT_EQ(ghcb_msr_sev_info(&info), SNP_ERR_MSR_RESP_CODE);
}

KTEST(snp_ghcb_msr, cpuid_exchange_and_register_checks)
{
	uint32_t v = 0;

	snp_mock_hv_reset();
	ASSERT_EQ(ghcb_msr_cpuid(0x8000001F, GHCB_MSR_CPUID_EBX, &v), SNP_OK);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x8000001F40000004ull);
	EXPECT_EQ(v, (0x8000001Fu ^ 0x5A5A0000u) + 1); /* the mock's value for (leaf, EBX) */

	/* A spec-literal host that leaves bits 31:30 zero is accepted too. */
	snp_mock.msr_hook = hook_answer_script0;
	snp_mock.script[0] = 0x1234567800000005ull;
	ASSERT_EQ(ghcb_msr_cpuid(0x1, GHCB_MSR_CPUID_EDX, &v), SNP_OK);
	EXPECT_EQ(v, 0x12345678u);
	/* Bits 31:30 naming another register. */
	snp_mock.script[0] = 0x1234567880000005ull; /* ECX */
	EXPECT_EQ(ghcb_msr_cpuid(0x1, GHCB_MSR_CPUID_EDX, &v), SNP_ERR_MSR_CPUID_REG);
	/* Reserved bits 29:12. */
	snp_mock.script[0] = 0x1234567800001005ull;
	EXPECT_EQ(ghcb_msr_cpuid(0x1, GHCB_MSR_CPUID_EAX, &v), SNP_ERR_MSR_RESP_RESERVED);
	snp_mock.script[0] = 0x1234567800000004ull;
	EXPECT_EQ(ghcb_msr_cpuid(0x1, GHCB_MSR_CPUID_EAX, &v), SNP_ERR_MSR_RESP_CODE);
	EXPECT_EQ(ghcb_msr_cpuid(0x1, (enum ghcb_msr_cpuid_reg)4, &v), SNP_ERR_INVALID_ARG);
}

KTEST(snp_ghcb_msr, register_ghcb_checks_the_echoed_gfn)
{
	snp_mock_hv_reset();
	ASSERT_EQ(ghcb_msr_register(pfn_init(0x7FF01)), SNP_OK);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x7FF01012ull);
	EXPECT_TRUE(snp_mock.ghcb_registered);

	snp_mock.msr_hook = hook_flip_script0;
	snp_mock.script[0] = 1ull << 12; /* echoes GFN 0x7FF00 */
	EXPECT_EQ(ghcb_msr_register(pfn_init(0x7FF01)), SNP_ERR_MSR_GFN_MISMATCH);
	snp_mock.script[0] = 0xFFFFFFFFFFFFF000ull; /* "no preferred GPA" style all-ones */
	EXPECT_EQ(ghcb_msr_register(pfn_init(0x7FF01)), SNP_ERR_MSR_GFN_MISMATCH);
	snp_mock.script[0] = 0x013 ^ 0x011;
	EXPECT_EQ(ghcb_msr_register(pfn_init(0x7FF01)), SNP_ERR_MSR_RESP_CODE);
	EXPECT_EQ(ghcb_msr_register(pfn_init(1ull << 52)), SNP_ERR_INVALID_ARG);
}

KTEST(snp_ghcb_msr, page_state_change_one_page)
{
	uint32_t err = 0xDEAD;

	snp_mock_hv_reset();
	ASSERT_EQ(ghcb_msr_psc(pfn_init(0x1234), GHCB_PSC_OP_SHARED, &err), SNP_OK);
	EXPECT_EQ(err, 0);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x0020000001234014ull);
	ASSERT_EQ(snp_mock.psc_done_count, 1);

	snp_mock.msr_hook = hook_answer_script0;
	snp_mock.script[0] = 0x0000000700000015ull; /* error 7 in 63:32 */
	EXPECT_EQ(ghcb_msr_psc(pfn_init(0x1234), GHCB_PSC_OP_PRIVATE, &err),
		  SNP_ERR_MSR_RESP_ERROR);
	EXPECT_EQ(err, 7);
	snp_mock.script[0] = 0x0000000000001015ull; /* reserved bit 12 */
	EXPECT_EQ(ghcb_msr_psc(pfn_init(0x1234), GHCB_PSC_OP_PRIVATE, NULL),
		  SNP_ERR_MSR_RESP_RESERVED);
	snp_mock.script[0] = 0x014; /* request echoed */
	EXPECT_EQ(ghcb_msr_psc(pfn_init(0x1234), GHCB_PSC_OP_PRIVATE, NULL), SNP_ERR_MSR_RESP_CODE);

	snp_mock.msr_write_count = 0;
	EXPECT_EQ(ghcb_msr_psc(pfn_init(1ull << 40), GHCB_PSC_OP_PRIVATE, NULL),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_msr_psc(pfn_init(1), (enum ghcb_psc_op)3, NULL), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.msr_write_count, 0); /* nothing sent for bad arguments */
}

KTEST(snp_ghcb_msr, run_vmpl)
{
	uint32_t err = 0;

	snp_mock_hv_reset();
	ASSERT_EQ(ghcb_msr_run_vmpl(2, &err), SNP_OK);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x0000000200000016ull);

	snp_mock.msr_hook = hook_answer_script0;
	snp_mock.script[0] = 0xFFFFFFFF00000017ull;
	EXPECT_EQ(ghcb_msr_run_vmpl(2, &err), SNP_ERR_MSR_RESP_ERROR);
	EXPECT_EQ(err, 0xFFFFFFFFu);
	snp_mock.script[0] = 0x0000000080000017ull;
	EXPECT_EQ(ghcb_msr_run_vmpl(2, &err), SNP_ERR_MSR_RESP_RESERVED);
	snp_mock.script[0] = 0x0000000200000016ull; /* the request, unanswered */
	EXPECT_EQ(ghcb_msr_run_vmpl(2, &err), SNP_ERR_MSR_RESP_CODE);
	EXPECT_EQ(ghcb_msr_run_vmpl(4, &err), SNP_ERR_INVALID_ARG);
}

KTEST(snp_ghcb_msr, hypervisor_features)
{
	uint64_t ft = 0;

	snp_mock_hv_reset();
	snp_mock.hv_features = 0x23;
	ASSERT_EQ(ghcb_msr_hv_features(&ft), SNP_OK);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x080);
	EXPECT_EQ(ft, 0x23);
	EXPECT_TRUE((ft & GHCB_HV_FT_SNP_MULTI_VMPL) != 0);

	snp_mock.msr_hook = hook_answer_script0;
	snp_mock.script[0] = (0x23ull << 12) | 0x080;
	EXPECT_EQ(ghcb_msr_hv_features(&ft), SNP_ERR_MSR_RESP_CODE);
}

KTEST(snp_ghcb_msr, terminate_never_returns)
{
	snp_mock_hv_reset();
	EXPECT_PANIC(ghcb_msr_terminate(GHCB_TERM_SET_GENERAL, GHCB_TERM_SNP_FEATURE_UNSUPPORTED));
	EXPECT_TRUE(snp_mock.terminated);
	EXPECT_EQ(snp_mock.term_request, 0x20100ull);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x20100ull);
	EXPECT_EQ(snp_mock.halt_count, 1); /* the host resumed us: HLT, then it would retry */
}
