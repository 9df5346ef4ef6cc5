/*
 * GHCB page protocol (GHCB spec 56421, "GHCB layout" and "Invoking VMGEXIT"; ABI reference
 * 3.2-3.6): what Bastion puts in the page for every NAE exit it uses, checked on the mock's
 * snapshot at VMGEXIT, and its reaction to every documented host error.
 */
#include <string.h>

#include "arch/x86/snp/ghcb.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

#define TEST_GHCB_GPA 0x7FF0000ull

static struct ghcb test_page __attribute__((aligned(4096)));
static struct ghcb_ctx test_ctx;

static void setup(void)
{
	snp_mock_hv_reset();
	memset(&test_page, 0xCC, sizeof(test_page)); /* stale garbage from earlier use */
	ghcb_ctx_init(&test_ctx, &test_page, paddr_init(TEST_GHCB_GPA));
	snp_mock_hv_attach_ghcb(&test_page, TEST_GHCB_GPA, true);
}

/* Valid-bit check on the request the host saw: exactly the listed offsets. */
static bool valid_exactly(const struct ghcb *g, const unsigned int *offs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (!ghcb_valid_test(g->save.valid_bitmap, offs[i])) {
			return false;
		}
	}
	return snp_mock_hv_valid_count(g->save.valid_bitmap) == n;
}

/* Checks common to every exit: MSR = GHCB GPA, version 2, usage 0, exit code and info. */
static void expect_exit(const struct snp_mock_exit *e, uint64_t code, uint64_t info1,
			uint64_t info2)
{
	EXPECT_TRUE(e->nae);
	EXPECT_EQ(e->msr, TEST_GHCB_GPA);
	EXPECT_EQ(e->page.protocol_version, 2);
	EXPECT_EQ(e->page.ghcb_usage, 0);
	EXPECT_EQ(e->page.save.sw_exit_code, code);
	EXPECT_EQ(e->page.save.sw_exit_info_1, info1);
	EXPECT_EQ(e->page.save.sw_exit_info_2, info2);
}

static const unsigned int base_valid[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					   GHCB_OFF_SW_EXITINFO2 };

/* ---- layout -------------------------------------------------------------------------------- */

KTEST(snp_ghcb, layout_and_valid_bitmap_bits)
{
	uint8_t bm[GHCB_VALID_BITMAP_SIZE] = { 0 };

	EXPECT_EQ(offsetof(struct ghcb, save.rax), 0x1F8);
	EXPECT_EQ(offsetof(struct ghcb, save.rbx), 0x318);
	EXPECT_EQ(offsetof(struct ghcb, save.rcx), 0x308);
	EXPECT_EQ(offsetof(struct ghcb, save.rdx), 0x310);
	EXPECT_EQ(offsetof(struct ghcb, save.sw_exit_code), 0x390);
	EXPECT_EQ(offsetof(struct ghcb, save.sw_exit_info_1), 0x398);
	EXPECT_EQ(offsetof(struct ghcb, save.sw_exit_info_2), 0x3A0);
	EXPECT_EQ(offsetof(struct ghcb, save.sw_scratch), 0x3A8);
	EXPECT_EQ(offsetof(struct ghcb, save.valid_bitmap), 0x3F0);
	EXPECT_EQ(offsetof(struct ghcb, shared_buffer), 0x800);
	EXPECT_EQ(sizeof(test_page.shared_buffer), 2032);
	EXPECT_EQ(offsetof(struct ghcb, protocol_version), 0xFFA);
	EXPECT_EQ(offsetof(struct ghcb, ghcb_usage), 0xFFC);

	/* bit = offset / 8, stored as little-endian qwords: RAX 0x1F8 -> bit 63 (byte 7, bit 7) */
	ghcb_valid_set(bm, GHCB_OFF_RAX);
	EXPECT_EQ(bm[7], 0x80);
	ghcb_valid_set(bm, GHCB_OFF_RCX); /* bit 97: byte 12 bit 1 */
	EXPECT_EQ(bm[12], 0x02);
	ghcb_valid_set(bm, GHCB_OFF_SW_EXITCODE); /* bit 114: byte 14 bit 2 */
	ghcb_valid_set(bm, GHCB_OFF_SW_SCRATCH);  /* bit 117: byte 14 bit 5 */
	EXPECT_EQ(bm[14], 0x24);
	EXPECT_TRUE(ghcb_valid_test(bm, GHCB_OFF_RAX));
	EXPECT_FALSE(ghcb_valid_test(bm, GHCB_OFF_RDX));
	EXPECT_EQ(snp_mock_hv_valid_count(bm), 4);
}

/* ---- IOIO ---------------------------------------------------------------------------------- */

KTEST(snp_ghcb, ioio_out_request)
{
	const struct snp_mock_exit *e = NULL;
	static const unsigned int v[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					  GHCB_OFF_SW_EXITINFO2, GHCB_OFF_RAX };

	setup();
	ASSERT_EQ(ghcb_ioio_out(&test_ctx, 0x3F8, 1, 0x1241), SNP_OK);
	ASSERT_EQ(snp_mock.exit_count, 1);
	e = snp_mock_hv_last_exit();
	/* port 31:16, A64 bit 9, SZ8 bit 4, type OUT (bit 0 clear) */
	expect_exit(e, 0x7B, 0x03F80210ull, 0);
	EXPECT_EQ(e->page.save.rax, 0x41); /* masked to the access size */
	EXPECT_TRUE(valid_exactly(&e->page, v, 4));

	ASSERT_EQ(ghcb_ioio_out(&test_ctx, 0xCF8, 4, 0x80000000u), SNP_OK);
	expect_exit(snp_mock_hv_last_exit(), 0x7B, 0x0CF80240ull, 0);
	ASSERT_EQ(ghcb_ioio_out(&test_ctx, 0x604, 2, 0x12345678u), SNP_OK);
	EXPECT_EQ(snp_mock_hv_last_exit()->page.save.rax, 0x5678);
	EXPECT_EQ(snp_mock_hv_last_exit()->page.save.sw_exit_info_1, 0x06040220ull);
	EXPECT_EQ(ghcb_ioio_out(&test_ctx, 0x3F8, 3, 0), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.exit_count, 3);
}

static void hook_clear_rax_valid(struct snp_mock_hv *hv, unsigned int exit_index,
				 struct ghcb *page)
{
	(void)hv;
	(void)exit_index;
	page->save.valid_bitmap[7] = 0; /* RAX is bit 63 */
}

KTEST(snp_ghcb, ioio_in_needs_a_valid_rax)
{
	uint32_t value = 0;
	const struct snp_mock_exit *e = NULL;

	setup();
	snp_mock.io_in_value = 0xFFFFFF5Au;
	ASSERT_EQ(ghcb_ioio_in(&test_ctx, 0x3FD, 1, &value), SNP_OK);
	EXPECT_EQ(value, 0x5A);
	e = snp_mock_hv_last_exit();
	expect_exit(e, 0x7B, 0x03FD0211ull, 0);
	EXPECT_TRUE(valid_exactly(&e->page, base_valid, 3)); /* IN sends no RAX */

	snp_mock.nae_hook = hook_clear_rax_valid;
	value = 0x77;
	EXPECT_EQ(ghcb_ioio_in(&test_ctx, 0x3FD, 1, &value), SNP_ERR_HV_MISSING_VALID);
	EXPECT_EQ(value, 0x77);
}

/* ---- MSR ----------------------------------------------------------------------------------- */

static void hook_clear_rdx_valid(struct snp_mock_hv *hv, unsigned int exit_index,
				 struct ghcb *page)
{
	(void)hv;
	(void)exit_index;
	page->save.valid_bitmap[12] = (uint8_t)(page->save.valid_bitmap[12] & ~0x04u);
}

KTEST(snp_ghcb, msr_read_and_write)
{
	uint64_t v = 0;
	const struct snp_mock_exit *e = NULL;
	static const unsigned int rd[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					   GHCB_OFF_SW_EXITINFO2, GHCB_OFF_RCX };
	static const unsigned int wr[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					   GHCB_OFF_SW_EXITINFO2, GHCB_OFF_RCX, GHCB_OFF_RAX,
					   GHCB_OFF_RDX };

	setup();
	snp_mock.msr_value = 0x1122334455667788ull;
	ASSERT_EQ(ghcb_rdmsr(&test_ctx, 0x1B, &v), SNP_OK);
	EXPECT_EQ(v, 0x1122334455667788ull);
	e = snp_mock_hv_last_exit();
	expect_exit(e, 0x7C, 0, 0);
	EXPECT_EQ(e->page.save.rcx, 0x1B);
	EXPECT_TRUE(valid_exactly(&e->page, rd, 4));

	ASSERT_EQ(ghcb_wrmsr(&test_ctx, 0xC0000080u, 0xAABBCCDD00001D01ull), SNP_OK);
	e = snp_mock_hv_last_exit();
	expect_exit(e, 0x7C, 1, 0);
	EXPECT_EQ(e->page.save.rcx, 0xC0000080u);
	EXPECT_EQ(e->page.save.rax, 0x00001D01u);
	EXPECT_EQ(e->page.save.rdx, 0xAABBCCDDu);
	EXPECT_TRUE(valid_exactly(&e->page, wr, 6));

	snp_mock.nae_hook = hook_clear_rdx_valid;
	EXPECT_EQ(ghcb_rdmsr(&test_ctx, 0x1B, &v), SNP_ERR_HV_MISSING_VALID);
}

/* ---- generic result handling ----------------------------------------------------------------- */

static void hook_exitinfo_script(struct snp_mock_hv *hv, unsigned int exit_index,
				 struct ghcb *page)
{
	(void)exit_index;
	page->save.sw_exit_info_1 = hv->script[0];
	page->save.sw_exit_info_2 = hv->script[1];
}

KTEST(snp_ghcb, exitinfo1_results)
{
	setup();
	snp_mock.nae_hook = hook_exitinfo_script;

	snp_mock.script[0] = 1; /* inject #GP(0): vector 13, type 3, valid bit 31 */
	snp_mock.script[1] = 0x8000030Dull;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_ERR_HV_EXCEPTION);
	EXPECT_EQ(test_ctx.last.exit_info_2, 0x8000030Dull);

	snp_mock.script[0] = 2;
	snp_mock.script[1] = GHCB_ERR_INVALID_INPUT;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_ERR_HV_ERROR);
	EXPECT_EQ(test_ctx.last.exit_info_2, GHCB_ERR_INVALID_INPUT);

	snp_mock.script[0] = 3;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_ERR_HV_PROTOCOL);
	snp_mock.script[0] = 0xFFFFFFFFull;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_ERR_HV_PROTOCOL);
	/* Only bits 31:0 carry the result. */
	snp_mock.script[0] = 0xFFFFFFFF00000000ull;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_OK);
}

KTEST(snp_ghcb, host_errors_from_a_malformed_ghcb)
{
	setup();
	snp_mock.ghcb_registered = false;
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_ERR_HV_ERROR);
	EXPECT_EQ(test_ctx.last.exit_info_1, 2);
	EXPECT_EQ(test_ctx.last.exit_info_2, GHCB_ERR_NOT_REGISTERED);
	/* After registration through the MSR protocol the same call goes through: the MSR
	 * protocol left the MSR holding a response and the call rewrote the GHCB GPA. */
	ASSERT_EQ(ghcb_msr_register(pfn_init(TEST_GHCB_GPA >> 12)), SNP_OK);
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_OK);
	EXPECT_EQ(snp_mock_hv_last_exit()->msr, TEST_GHCB_GPA);
}

/* ---- Page State Change ----------------------------------------------------------------------- */

static uint16_t buf16(const struct ghcb *g, unsigned int off)
{
	return (uint16_t)(g->shared_buffer[off] | (g->shared_buffer[off + 1] << 8));
}

static uint64_t buf64(const struct ghcb *g, unsigned int off)
{
	uint64_t v = 0;

	memcpy(&v, &g->shared_buffer[off], sizeof(v));
	return v;
}

static void make_entries(uint64_t *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		e[i] = ghcb_psc_entry(pfn_init(0x100 + i), GHCB_PSC_OP_PRIVATE, SNP_PAGE_4K);
	}
}

KTEST(snp_ghcb, psc_request_layout)
{
	uint64_t e[2] = { 0 };
	const struct snp_mock_exit *x = NULL;
	static const unsigned int v[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					  GHCB_OFF_SW_EXITINFO2, GHCB_OFF_SW_SCRATCH };

	setup();
	e[0] = ghcb_psc_entry(pfn_init(0xABCDE), GHCB_PSC_OP_SHARED, SNP_PAGE_4K);
	e[1] = ghcb_psc_entry(pfn_init(0x200), GHCB_PSC_OP_PRIVATE, SNP_PAGE_2M);
	/* cur_page 11:0, GFN 51:12, op 55:52, size bit 56 */
	EXPECT_EQ(e[0], 0x00200000ABCDE000ull);
	EXPECT_EQ(e[1], 0x0110000000200000ull);
	ASSERT_EQ(ghcb_psc(&test_ctx, e, 2), SNP_OK);
	ASSERT_EQ(snp_mock.exit_count, 1);
	x = snp_mock_hv_last_exit();
	expect_exit(x, 0x80000010ull, 0, 0);
	EXPECT_EQ(x->page.save.sw_scratch, TEST_GHCB_GPA + 0x800);
	EXPECT_TRUE(valid_exactly(&x->page, v, 4));
	EXPECT_EQ(buf16(&x->page, 0), 0); /* cur_entry */
	EXPECT_EQ(buf16(&x->page, 2), 1); /* end_entry: last index, inclusive */
	EXPECT_EQ(buf16(&x->page, 4), 0); /* reserved */
	EXPECT_EQ(buf16(&x->page, 6), 0);
	EXPECT_EQ(buf64(&x->page, 8), e[0]);
	EXPECT_EQ(buf64(&x->page, 16), e[1]);
	ASSERT_EQ(snp_mock.psc_done_count, 2);
	EXPECT_EQ(snp_mock.psc_done[1], e[1]);
}

KTEST(snp_ghcb, psc_partial_progress_over_several_exits)
{
	uint64_t e[10] = { 0 };

	setup();
	make_entries(e, 10);
	snp_mock.psc_per_exit = 3;
	ASSERT_EQ(ghcb_psc(&test_ctx, e, 10), SNP_OK);
	ASSERT_EQ(snp_mock.exit_count, 4);
	/* Bastion resent the buffer with the host's progress each time. */
	EXPECT_EQ(buf16(&snp_mock.exits[0].page, 0), 0);
	EXPECT_EQ(buf16(&snp_mock.exits[1].page, 0), 3);
	EXPECT_EQ(buf16(&snp_mock.exits[2].page, 0), 6);
	EXPECT_EQ(buf16(&snp_mock.exits[3].page, 0), 9);
	EXPECT_EQ(buf16(&snp_mock.exits[3].page, 2), 9);
	ASSERT_EQ(snp_mock.psc_done_count, 10);
	for (unsigned int i = 0; i < 10; i++) {
		EXPECT_EQ(snp_mock.psc_done[i], e[i]);
	}
}

/* script[0] = exit index to tamper with, script[1] = cur_entry to write there, script[2] =
 * value for end_entry (0xFFFF: leave), script[3] = value for the reserved u32 (0: leave). */
static void hook_psc_tamper(struct snp_mock_hv *hv, unsigned int exit_index, struct ghcb *page)
{
	if (exit_index != hv->script[0]) {
		return;
	}
	page->shared_buffer[0] = (uint8_t)hv->script[1];
	page->shared_buffer[1] = (uint8_t)(hv->script[1] >> 8);
	if (hv->script[2] != 0xFFFF) {
		page->shared_buffer[2] = (uint8_t)hv->script[2];
		page->shared_buffer[3] = (uint8_t)(hv->script[2] >> 8);
	}
	if (hv->script[3] != 0) {
		page->shared_buffer[7] = (uint8_t)hv->script[3];
	}
}

static enum snp_result psc_tampered(unsigned int at_exit, uint64_t cur, uint64_t end,
				    uint64_t reserved)
{
	uint64_t e[10] = { 0 };

	setup();
	make_entries(e, 10);
	snp_mock.psc_per_exit = 3;
	snp_mock.nae_hook = hook_psc_tamper;
	snp_mock.script[0] = at_exit;
	snp_mock.script[1] = cur;
	snp_mock.script[2] = end;
	snp_mock.script[3] = reserved;
	return ghcb_psc(&test_ctx, e, 10);
}

KTEST(snp_ghcb, psc_hostile_progress_is_refused)
{
	/* Second exit: the host had reached 6 but claims 2 (backwards from Bastion's 3). */
	EXPECT_EQ(psc_tampered(1, 2, 0xFFFF, 0), SNP_ERR_PSC_BACKWARDS);
	/* cur_entry beyond end_entry + 1 (10 entries: 11 is beyond). */
	EXPECT_EQ(psc_tampered(0, 11, 0xFFFF, 0), SNP_ERR_PSC_BEYOND_END);
	EXPECT_EQ(psc_tampered(0, 0xFFFF, 0xFFFF, 0), SNP_ERR_PSC_BEYOND_END);
	/* No progress: returns with cur_entry unchanged. */
	EXPECT_EQ(psc_tampered(0, 0, 0xFFFF, 0), SNP_ERR_PSC_NO_PROGRESS);
	EXPECT_EQ(psc_tampered(2, 6, 0xFFFF, 0), SNP_ERR_PSC_NO_PROGRESS);
	EXPECT_EQ(snp_mock.exit_count, 3);
	/* end_entry changed (shrunk or grown), reserved field set. */
	EXPECT_EQ(psc_tampered(0, 3, 5, 0), SNP_ERR_PSC_HEADER);
	EXPECT_EQ(psc_tampered(0, 3, 20, 0), SNP_ERR_PSC_HEADER);
	EXPECT_EQ(psc_tampered(0, 3, 0xFFFF, 0x80), SNP_ERR_PSC_HEADER);
	/* Finishing early by jumping straight to end_entry + 1 is fine. */
	EXPECT_EQ(psc_tampered(0, 10, 0xFFFF, 0), SNP_OK);
}

static void hook_psc_error(struct snp_mock_hv *hv, unsigned int exit_index, struct ghcb *page)
{
	(void)hv;
	(void)exit_index;
	page->save.sw_exit_info_2 = (1ull << 32) | 2u; /* invalid entry */
}

KTEST(snp_ghcb, psc_host_error_in_exitinfo2)
{
	uint64_t e[3] = { 0 };

	setup();
	make_entries(e, 3);
	snp_mock.nae_hook = hook_psc_error;
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 3), SNP_ERR_PSC_HOST);
	EXPECT_EQ(test_ctx.last.exit_info_2, (1ull << 32) | 2u);
}

/* 2 MiB entry: the host converts 100 pages per exit, reporting cur_page; on the sixth exit it
 * finishes. script[1]: if non-zero, a bogus cur_page written on exit 1. */
static void hook_psc_2m_pages(struct snp_mock_hv *hv, unsigned int exit_index, struct ghcb *page)
{
	uint64_t entry = 0;
	uint64_t cur_page = (uint64_t)(exit_index + 1) * 100u;

	memcpy(&entry, &page->shared_buffer[8], sizeof(entry));
	if (exit_index < 5) {
		page->shared_buffer[0] = 0; /* still on entry 0 */
		page->shared_buffer[1] = 0;
		if (hv->script[1] != 0 && exit_index == 1) {
			cur_page = hv->script[1];
		}
		entry = (entry & ~GHCB_PSC_CUR_PAGE_MASK) | cur_page;
		memcpy(&page->shared_buffer[8], &entry, sizeof(entry));
	}
}

KTEST(snp_ghcb, psc_progress_within_a_2m_entry)
{
	uint64_t e[1] = { 0 };

	setup();
	e[0] = ghcb_psc_entry(pfn_init(0x400), GHCB_PSC_OP_SHARED, SNP_PAGE_2M);
	snp_mock.nae_hook = hook_psc_2m_pages;
	ASSERT_EQ(ghcb_psc(&test_ctx, e, 1), SNP_OK);
	ASSERT_EQ(snp_mock.exit_count, 6);
	/* Bastion passed the host's cur_page back unchanged. */
	EXPECT_EQ(buf64(&snp_mock.exits[3].page, 8) & 0xFFF, 300);

	setup();
	snp_mock.nae_hook = hook_psc_2m_pages;
	snp_mock.script[1] = 512; /* past the last page of the entry */
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 1), SNP_ERR_PSC_ENTRY);
	setup();
	snp_mock.nae_hook = hook_psc_2m_pages;
	snp_mock.script[1] = 50; /* 100, then 50: backwards within the entry */
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 1), SNP_ERR_PSC_BACKWARDS);
}

KTEST(snp_ghcb, psc_rejects_bad_requests_without_exiting)
{
	uint64_t e[GHCB_PSC_MAX_ENTRIES + 1] = { 0 };

	setup();
	make_entries(e, GHCB_PSC_MAX_ENTRIES + 1);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 0), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, GHCB_PSC_MAX_ENTRIES + 1), SNP_ERR_INVALID_ARG);
	e[1] = ghcb_psc_entry(pfn_init(0x10), (enum ghcb_psc_op)3, SNP_PAGE_4K);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 2), SNP_ERR_INVALID_ARG);
	e[1] = ghcb_psc_entry(pfn_init(0x201), GHCB_PSC_OP_SHARED, SNP_PAGE_2M);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 2), SNP_ERR_INVALID_ARG);
	e[1] = ghcb_psc_entry(pfn_init(0x10), GHCB_PSC_OP_SHARED, SNP_PAGE_4K) | 1u;
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 2), SNP_ERR_INVALID_ARG);
	e[1] = ghcb_psc_entry(pfn_init(0x10), GHCB_PSC_OP_SHARED, SNP_PAGE_4K) | (1ull << 60);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, 2), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.exit_count, 0);
	/* The maximum is accepted, and fits the shared buffer. */
	make_entries(e, GHCB_PSC_MAX_ENTRIES);
	EXPECT_EQ(ghcb_psc(&test_ctx, e, GHCB_PSC_MAX_ENTRIES), SNP_OK);
	EXPECT_EQ(snp_mock.psc_done_count, GHCB_PSC_MAX_ENTRIES);
}

KTEST(snp_ghcb, psc_range_uses_2m_entries_and_batches)
{
	setup();
	/* 0x1FE..0x601: two 4K pages, two 2M entries (0x200, 0x400), then two 4K pages. */
	ASSERT_EQ(ghcb_psc_range(&test_ctx, pfn_init(0x1FE), 0x404, GHCB_PSC_OP_SHARED, true),
		  SNP_OK);
	ASSERT_EQ(snp_mock.psc_done_count, 6);
	EXPECT_EQ(snp_mock.psc_done[0],
		  ghcb_psc_entry(pfn_init(0x1FE), GHCB_PSC_OP_SHARED, SNP_PAGE_4K));
	EXPECT_EQ(snp_mock.psc_done[2],
		  ghcb_psc_entry(pfn_init(0x200), GHCB_PSC_OP_SHARED, SNP_PAGE_2M));
	EXPECT_EQ(snp_mock.psc_done[3],
		  ghcb_psc_entry(pfn_init(0x400), GHCB_PSC_OP_SHARED, SNP_PAGE_2M));
	EXPECT_EQ(snp_mock.psc_done[5],
		  ghcb_psc_entry(pfn_init(0x601), GHCB_PSC_OP_SHARED, SNP_PAGE_4K));

	/* 600 4 KiB pages without 2M: 253 + 253 + 94 entries in three requests. */
	setup();
	ASSERT_EQ(ghcb_psc_range(&test_ctx, pfn_init(0x1000), 600, GHCB_PSC_OP_PRIVATE, false),
		  SNP_OK);
	EXPECT_EQ(snp_mock.exit_count, 3);
	EXPECT_EQ(snp_mock.psc_done_count, 600);
	EXPECT_EQ(buf16(&snp_mock.exits[2].page, 2), 93);

	EXPECT_EQ(ghcb_psc_range(&test_ctx, pfn_init(0), 0, GHCB_PSC_OP_PRIVATE, false),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_psc_range(&test_ctx, pfn_init((1ull << 40) - 1), 2, GHCB_PSC_OP_PRIVATE,
				 false),
		  SNP_ERR_INVALID_ARG);
}

/* ---- AP creation, Run VMPL, features, termination ------------------------------------------ */

KTEST(snp_ghcb, ap_creation_request)
{
	const struct snp_mock_exit *e = NULL;
	static const unsigned int v[] = { GHCB_OFF_SW_EXITCODE, GHCB_OFF_SW_EXITINFO1,
					  GHCB_OFF_SW_EXITINFO2, GHCB_OFF_RAX };

	setup();
	ASSERT_EQ(ghcb_ap_create(&test_ctx, GHCB_AP_CREATE, 2, 5, gpa_init(0x12345000), 0x21),
		  SNP_OK);
	e = snp_mock_hv_last_exit();
	/* request 1, VMPL 2 in 19:16, APIC ID 5 in 63:32 */
	expect_exit(e, 0x80000013ull, 0x0000000500020001ull, 0x12345000ull);
	EXPECT_EQ(e->page.save.rax, 0x21); /* SEV_FEATURES */
	EXPECT_TRUE(valid_exactly(&e->page, v, 4));

	ASSERT_EQ(ghcb_ap_create(&test_ctx, GHCB_AP_DESTROY, 2, 5, gpa_init(0x12345000), 0),
		  SNP_OK);
	e = snp_mock_hv_last_exit();
	expect_exit(e, 0x80000013ull, 0x0000000500020002ull, 0x12345000ull);
	EXPECT_TRUE(valid_exactly(&e->page, base_valid, 3));

	/* A 2 MiB aligned VMSA is refused before the host sees it (SNP erratum). */
	EXPECT_EQ(ghcb_ap_create(&test_ctx, GHCB_AP_CREATE, 2, 5, gpa_init(0x40000000), 1),
		  SNP_ERR_VMSA_2M_ALIGNED);
	EXPECT_EQ(ghcb_ap_create(&test_ctx, GHCB_AP_CREATE, 4, 5, gpa_init(0x12345000), 1),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_ap_create(&test_ctx, GHCB_AP_CREATE, 2, 5, gpa_init(0x12345008), 1),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_ap_create(&test_ctx, (enum ghcb_ap_request)3, 2, 5, gpa_init(0x12345000), 1),
		  SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.exit_count, 2);
}

KTEST(snp_ghcb, run_vmpl_features_and_termination)
{
	uint64_t ft = 0;

	setup();
	ASSERT_EQ(ghcb_run_vmpl(&test_ctx, 2), SNP_OK);
	expect_exit(snp_mock_hv_last_exit(), 0x80000018ull, 2, 0);
	EXPECT_TRUE(valid_exactly(&snp_mock_hv_last_exit()->page, base_valid, 3));
	EXPECT_EQ(ghcb_run_vmpl(&test_ctx, 4), SNP_ERR_INVALID_ARG);

	snp_mock.hv_features = 0x27;
	ASSERT_EQ(ghcb_hv_features(&test_ctx, &ft), SNP_OK);
	expect_exit(snp_mock_hv_last_exit(), 0x8000FFFDull, 0, 0);
	EXPECT_EQ(ft, 0x27);

	/* set 3:0, code 11:4; a host that resumes us is reported */
	EXPECT_EQ(ghcb_terminate_request(&test_ctx, 1, 0x35), SNP_ERR_HV_RETURNED);
	expect_exit(snp_mock_hv_last_exit(), 0x8000FFFEull, 0x351, 0);
	EXPECT_TRUE(snp_mock.terminated);
	EXPECT_EQ(ghcb_terminate_request(&test_ctx, 16, 0), SNP_ERR_INVALID_ARG);
}

/* ---- SNP guest request ---------------------------------------------------------------------- */

KTEST(snp_ghcb, guest_request_results)
{
	uint32_t fw = 0xFFFF;
	paddr_t req = paddr_init(0x5000);
	paddr_t rsp = paddr_init(0x6000);

	setup();
	ASSERT_EQ(ghcb_guest_request(&test_ctx, req, rsp, &fw), SNP_OK);
	expect_exit(snp_mock_hv_last_exit(), 0x80000011ull, 0x5000, 0x6000);
	EXPECT_TRUE(valid_exactly(&snp_mock_hv_last_exit()->page, base_valid, 3));
	EXPECT_EQ(fw, 0);

	snp_mock.guest_req_info2 = 2ull << 32;
	EXPECT_EQ(ghcb_guest_request(&test_ctx, req, rsp, &fw), SNP_ERR_GUEST_REQ_BUSY);
	snp_mock.guest_req_info2 = 1ull << 32;
	EXPECT_EQ(ghcb_guest_request(&test_ctx, req, rsp, &fw), SNP_ERR_GUEST_REQ_INVALID_LEN);
	snp_mock.guest_req_info2 = 0x80000000ull << 32;
	EXPECT_EQ(ghcb_guest_request(&test_ctx, req, rsp, &fw), SNP_ERR_GUEST_REQ_VMM);
	snp_mock.guest_req_info2 = 0x16;
	EXPECT_EQ(ghcb_guest_request(&test_ctx, req, rsp, &fw), SNP_ERR_GUEST_REQ_FW);
	EXPECT_EQ(fw, 0x16);
	EXPECT_EQ(snp_mock.exit_count, 5);

	EXPECT_EQ(ghcb_guest_request(&test_ctx, req, req, &fw), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(ghcb_guest_request(&test_ctx, paddr_init(0x5008), rsp, &fw), SNP_ERR_INVALID_ARG);
	EXPECT_EQ(snp_mock.exit_count, 5);
}

/* The host rewrites the request fields while answering: Bastion's next call starts clean. */
static void hook_scribble(struct snp_mock_hv *hv, unsigned int exit_index, struct ghcb *page)
{
	(void)hv;
	(void)exit_index;
	memset(page->save.valid_bitmap, 0xFF, sizeof(page->save.valid_bitmap));
	page->save.sw_scratch = 0xBAD;
	page->protocol_version = 7;
	page->ghcb_usage = 9;
}

KTEST(snp_ghcb, every_call_starts_from_a_clean_valid_bitmap)
{
	setup();
	snp_mock.nae_hook = hook_scribble;
	ASSERT_EQ(ghcb_ioio_out(&test_ctx, 0x80, 1, 0), SNP_OK);
	snp_mock.nae_hook = NULL;
	ASSERT_EQ(ghcb_run_vmpl(&test_ctx, 0), SNP_OK);
	EXPECT_TRUE(valid_exactly(&snp_mock_hv_last_exit()->page, base_valid, 3));
	EXPECT_EQ(snp_mock_hv_last_exit()->page.protocol_version, 2);
	EXPECT_EQ(snp_mock_hv_last_exit()->page.ghcb_usage, 0);
}
