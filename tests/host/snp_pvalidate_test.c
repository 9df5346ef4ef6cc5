/*
 * PVALIDATE and RMPADJUST policy (APM vol 3; ABI reference 4.1) against the mock's
 * instruction log: 2 MiB use, the FAIL_SIZEMISMATCH fallback, "no change", permissions and
 * the VMSA attribute.
 */
#include "arch/x86/snp/pvalidate.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

#define VA_2M 0xFFFF800040000000ull /* 2 MiB aligned */

static struct snp_insn_ret ret(uint32_t eax, bool cf)
{
	return (struct snp_insn_ret){ .eax = eax, .cf = cf };
}

/* 2 MiB PVALIDATE: FAIL_SIZEMISMATCH (the RMP has 4 KiB entries); 4 KiB: success. */
static struct snp_insn_ret hook_2m_mismatch(struct snp_mock_hv *hv, unsigned int call_index,
					    uint64_t va, uint32_t size, uint64_t arg)
{
	(void)hv;
	(void)call_index;
	(void)va;
	(void)arg;
	return size == SNP_PAGE_2M ? ret(6, false) : ret(0, false);
}

/* Call number script[0] answers EAX script[1], CF script[2]; every other call succeeds. */
static struct snp_insn_ret hook_nth(struct snp_mock_hv *hv, unsigned int call_index, uint64_t va,
				    uint32_t size, uint64_t arg)
{
	(void)va;
	(void)size;
	(void)arg;
	if (call_index == hv->script[0]) {
		return ret((uint32_t)hv->script[1], hv->script[2] != 0);
	}
	return ret(0, false);
}

KTEST(snp_pvalidate, single_page_results)
{
	snp_mock_hv_reset();
	EXPECT_EQ(pvalidate_page(vaddr_init(0x1000), SNP_PAGE_4K, true), SNP_OK);
	ASSERT_EQ(snp_mock.pvalidate_count, 1);
	EXPECT_EQ(snp_mock.pvalidates[0].va, 0x1000);
	EXPECT_EQ(snp_mock.pvalidates[0].size, 0);
	EXPECT_EQ(snp_mock.pvalidates[0].arg, 1);

	snp_mock.pvalidate_hook = hook_nth;
	snp_mock.script[0] = 1;
	snp_mock.script[1] = 1;
	EXPECT_EQ(pvalidate_page(vaddr_init(0x1000), SNP_PAGE_4K, false),
		  SNP_ERR_PVALIDATE_INPUT);
	EXPECT_EQ(snp_mock.pvalidates[1].arg, 0);
	snp_mock.script[0] = 2;
	snp_mock.script[1] = 0;
	snp_mock.script[2] = 1;
	EXPECT_EQ(pvalidate_page(vaddr_init(0x1000), SNP_PAGE_4K, true),
		  SNP_ERR_PVALIDATE_NO_CHANGE);
	snp_mock.script[0] = 3;
	snp_mock.script[1] = 6;
	snp_mock.script[2] = 0;
	EXPECT_EQ(pvalidate_page(vaddr_init(VA_2M), SNP_PAGE_2M, true),
		  SNP_ERR_PVALIDATE_SIZE_MISMATCH);
	snp_mock.script[0] = 4;
	snp_mock.script[1] = 3; /* undefined EAX */
	EXPECT_EQ(pvalidate_page(vaddr_init(0x1000), SNP_PAGE_4K, true),
		  SNP_ERR_PVALIDATE_UNEXPECTED);

	EXPECT_EQ(pvalidate_page(vaddr_init(0x1800), SNP_PAGE_4K, true), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(pvalidate_page(vaddr_init(VA_2M + 0x1000), SNP_PAGE_2M, true),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.pvalidate_count, 5);
}

KTEST(snp_pvalidate, decode_helpers)
{
	EXPECT_EQ(pvalidate_decode(ret(0, false)), PVALIDATE_OK);
	EXPECT_EQ(pvalidate_decode(ret(0, true)), PVALIDATE_NO_CHANGE);
	EXPECT_EQ(pvalidate_decode(ret(1, true)), PVALIDATE_FAIL_INPUT);
	EXPECT_EQ(pvalidate_decode(ret(6, false)), PVALIDATE_FAIL_SIZEMISMATCH);
	EXPECT_EQ(pvalidate_decode(ret(0x10, false)), PVALIDATE_UNEXPECTED);
	EXPECT_EQ(rmpadjust_decode(2), RMPADJUST_FAIL_PERMISSION);
	EXPECT_EQ(rmpadjust_decode(5), RMPADJUST_UNEXPECTED);
	/* RDX: VMPL 7:0, permissions 15:8, VMSA bit 16 */
	EXPECT_EQ(rmpadjust_attrs(2, RMPADJUST_PERM_ALL, false), 0xF02ull);
	EXPECT_EQ(rmpadjust_attrs(1, RMPADJUST_PERM_READ, true), 0x10101ull);
	EXPECT_EQ(0x80001000u + PVALIDATE_NO_CHANGE, 0x80001010u); /* SVSM result code */
}

KTEST(snp_pvalidate, range_uses_2m_pages_where_aligned)
{
	uint64_t done = 0;

	snp_mock_hv_reset();
	/* 4 KiB below the 2 MiB boundary, 2 MiB, one 4 KiB page after. */
	ASSERT_EQ(pvalidate_range(vaddr_init(VA_2M - PAGE_SIZE), PAGE_SIZE + HUGE_PAGE_SIZE +
								     PAGE_SIZE,
				  true, 0, &done),
		  SNP_OK);
	EXPECT_EQ(done, HUGE_PAGE_SIZE + 2 * PAGE_SIZE);
	ASSERT_EQ(snp_mock.pvalidate_count, 3);
	EXPECT_EQ(snp_mock.pvalidates[0].size, SNP_PAGE_4K);
	EXPECT_EQ(snp_mock.pvalidates[1].va, VA_2M);
	EXPECT_EQ(snp_mock.pvalidates[1].size, SNP_PAGE_2M);
	EXPECT_EQ(snp_mock.pvalidates[2].va, VA_2M + HUGE_PAGE_SIZE);
	EXPECT_EQ(snp_mock.pvalidates[2].size, SNP_PAGE_4K);

	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M), 0, true, 0, &done), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M + 8), PAGE_SIZE, true, 0, &done),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M), 0x800, true, 0, &done), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(pvalidate_range(vaddr_init(0xFFFFFFFFFFFFF000ull), 2 * PAGE_SIZE, true, 0, &done),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M), PAGE_SIZE, true, 0x8, &done),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.pvalidate_count, 3);
}

KTEST(snp_pvalidate, size_mismatch_falls_back_to_512_small_pages)
{
	uint64_t done = 0;

	snp_mock_hv_reset();
	snp_mock.pvalidate_hook = hook_2m_mismatch;
	ASSERT_EQ(pvalidate_range(vaddr_init(VA_2M), HUGE_PAGE_SIZE, false, 0, &done), SNP_OK);
	EXPECT_EQ(done, HUGE_PAGE_SIZE);
	ASSERT_EQ(snp_mock.pvalidate_count, 513);
	EXPECT_EQ(snp_mock.pvalidates[0].size, SNP_PAGE_2M);
	for (unsigned int i = 0; i < 512; i++) {
		EXPECT_EQ(snp_mock.pvalidates[1 + i].va, VA_2M + (uint64_t)i * PAGE_SIZE);
		EXPECT_EQ(snp_mock.pvalidates[1 + i].size, SNP_PAGE_4K);
		EXPECT_EQ(snp_mock.pvalidates[1 + i].arg, 0); /* rescind */
	}
}

KTEST(snp_pvalidate, no_change_is_reported_with_progress)
{
	uint64_t done = 0;

	snp_mock_hv_reset();
	snp_mock.pvalidate_hook = hook_nth;
	snp_mock.script[0] = 2; /* third page: already validated */
	snp_mock.script[1] = 0;
	snp_mock.script[2] = 1;
	EXPECT_EQ(pvalidate_range(vaddr_init(0x10000), 4 * PAGE_SIZE, true, 0, &done),
		  SNP_ERR_PVALIDATE_NO_CHANGE);
	EXPECT_EQ(done, 2 * PAGE_SIZE);
	EXPECT_EQ(snp_mock.pvalidate_count, 3);

	snp_mock_hv_reset();
	snp_mock.pvalidate_hook = hook_nth;
	snp_mock.script[0] = 2;
	snp_mock.script[2] = 1;
	EXPECT_EQ(pvalidate_range(vaddr_init(0x10000), 4 * PAGE_SIZE, true,
				  PVALIDATE_F_IGNORE_NO_CHANGE, &done),
		  SNP_OK);
	EXPECT_EQ(done, 4 * PAGE_SIZE);

	/* No change on a 2 MiB page, and inside the 4 KiB fallback. */
	snp_mock_hv_reset();
	snp_mock.pvalidate_hook = hook_nth;
	snp_mock.script[0] = 0;
	snp_mock.script[2] = 1;
	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M), HUGE_PAGE_SIZE, true, 0, &done),
		  SNP_ERR_PVALIDATE_NO_CHANGE);
	EXPECT_EQ(done, 0);
}

/* 2 MiB mismatch, then page 100 of the fallback fails FAIL_INPUT. */
static struct snp_insn_ret hook_mismatch_then_fail(struct snp_mock_hv *hv,
						   unsigned int call_index, uint64_t va,
						   uint32_t size, uint64_t arg)
{
	(void)hv;
	(void)va;
	(void)arg;
	if (size == SNP_PAGE_2M) {
		return ret(6, false);
	}
	return call_index == 101 ? ret(1, false) : ret(0, false);
}

KTEST(snp_pvalidate, failure_inside_the_fallback_reports_progress)
{
	uint64_t done = 0;

	snp_mock_hv_reset();
	snp_mock.pvalidate_hook = hook_mismatch_then_fail;
	EXPECT_EQ(pvalidate_range(vaddr_init(VA_2M), 2 * HUGE_PAGE_SIZE, true, 0, &done),
		  SNP_ERR_PVALIDATE_INPUT);
	EXPECT_EQ(done, 100 * PAGE_SIZE);
	EXPECT_EQ(snp_mock.pvalidate_count, 102);
}

KTEST(snp_pvalidate, rmpadjust_grant_and_revoke)
{
	snp_mock_hv_reset();
	ASSERT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 2, RMPADJUST_PERM_ALL), SNP_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 1);
	EXPECT_EQ(snp_mock.rmpadjusts[0].va, 0x20000);
	EXPECT_EQ(snp_mock.rmpadjusts[0].size, 0);
	EXPECT_EQ(snp_mock.rmpadjusts[0].arg, 0xF02ull);

	ASSERT_EQ(rmpadjust_revoke_lower(vaddr_init(VA_2M), SNP_PAGE_2M), SNP_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 4);
	EXPECT_EQ(snp_mock.rmpadjusts[1].arg, 1);
	EXPECT_EQ(snp_mock.rmpadjusts[2].arg, 2);
	EXPECT_EQ(snp_mock.rmpadjusts[3].arg, 3);
	EXPECT_EQ(snp_mock.rmpadjusts[3].size, SNP_PAGE_2M);

	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 0, 1), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 4, 1), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 1, 0x10), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_2M, 1, 1), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.rmpadjust_count, 4);

	/* FAIL_PERMISSION on VMPL2 stops the revocation there. */
	snp_mock.rmpadjust_hook = hook_nth;
	snp_mock.script[0] = 5;
	snp_mock.script[1] = 2;
	EXPECT_EQ(rmpadjust_revoke_lower(vaddr_init(0x20000), SNP_PAGE_4K),
		  SNP_ERR_RMPADJUST_PERMISSION);
	EXPECT_EQ(snp_mock.rmpadjust_count, 6);
	snp_mock.script[0] = 6;
	snp_mock.script[1] = 6;
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 1, 1),
		  SNP_ERR_RMPADJUST_SIZE_MISMATCH);
	snp_mock.script[0] = 7;
	snp_mock.script[1] = 1;
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 1, 1), SNP_ERR_RMPADJUST_INPUT);
	snp_mock.script[0] = 8;
	snp_mock.script[1] = 9;
	EXPECT_EQ(rmpadjust_grant(vaddr_init(0x20000), SNP_PAGE_4K, 1, 1),
		  SNP_ERR_RMPADJUST_UNEXPECTED);
}

KTEST(snp_pvalidate, vmsa_attribute)
{
	snp_mock_hv_reset();
	/* Guest VMSA at VMPL2: revoke 1..3, then VMPL2 | READ | VMSA. */
	ASSERT_EQ(rmpadjust_set_vmsa(vaddr_init(0x31000), paddr_init(0x7F001000), 2,
				     RMPADJUST_PERM_READ),
		  SNP_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 4);
	EXPECT_EQ(snp_mock.rmpadjusts[3].arg, 0x10102ull);
	EXPECT_EQ(snp_mock.rmpadjusts[3].size, SNP_PAGE_4K);
	/* Bastion's own VMSA: VMPL1 target, no permissions, VMSA bit. */
	ASSERT_EQ(rmpadjust_set_vmsa(vaddr_init(0x32000), paddr_init(0x7F002000), 1, 0), SNP_OK);
	EXPECT_EQ(snp_mock.rmpadjusts[7].arg, 0x10001ull);

	/* 2 MiB aligned physical page: refused before any RMPADJUST (SNP erratum). */
	EXPECT_EQ(rmpadjust_set_vmsa(vaddr_init(0x31000), paddr_init(0x7F000000), 2, 1),
		  SNP_ERR_VMSA_2M_ALIGNED);
	EXPECT_EQ(rmpadjust_set_vmsa(vaddr_init(0x31000), paddr_init(0), 2, 1),
		  SNP_ERR_VMSA_2M_ALIGNED);
	EXPECT_EQ(rmpadjust_set_vmsa(vaddr_init(0x31000), paddr_init(0x7F001800), 2, 1),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.rmpadjust_count, 8);

	/* Back to a normal guest page: revoke (drops the VMSA bit), then RWX without it. */
	ASSERT_EQ(rmpadjust_clear_vmsa(vaddr_init(0x31000), 2, RMPADJUST_PERM_ALL), SNP_OK);
	ASSERT_EQ(snp_mock.rmpadjust_count, 12);
	EXPECT_EQ(snp_mock.rmpadjusts[8].arg, 1);
	EXPECT_EQ(snp_mock.rmpadjusts[11].arg, 0xF02ull);
	ASSERT_EQ(rmpadjust_clear_vmsa(vaddr_init(0x31000), 2, 0), SNP_OK);
	EXPECT_EQ(snp_mock.rmpadjust_count, 15);
}
