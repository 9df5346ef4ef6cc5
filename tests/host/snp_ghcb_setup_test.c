/*
 * Per-CPU GHCB bring-up and teardown (arch/x86/snp/ghcb_setup.c): the exact order of
 * PVALIDATE, MSR-protocol requests (checked value by value) and the C-bit change, and for
 * every host error or instruction failure the logged reason and the termination request
 * (reason set 1, the step's code) that follows.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86/snp/ghcb_setup.h"
#include "tests/host/host_panic.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

#define TEST_GPA 0x12345000ull
#define TEST_GFN 0x12345ull

/* Expected MSR values (GHCB spec 56421, "GHCB MSR Protocol"). */
#define REQ_PSC_SHARED 0x0020000012345014ull  /* 0x014 | GFN << 12 | 2 << 52 */
#define REQ_PSC_PRIVATE 0x0010000012345014ull /* 0x014 | GFN << 12 | 1 << 52 */
#define REQ_REGISTER 0x0000000012345012ull    /* 0x012 | GFN << 12 */
/* Terminate: 0x100 | set 1 << 12 | code << 16. */
#define TERM(code) (0x1100ull | ((uint64_t)(code) << 16))

static uint8_t setup_page[4096] __attribute__((aligned(4096)));
static struct ghcb_ctx setup_ctx;

/* Fake C-bit callback: records its calls and what had happened before each. */
struct cbit_call {
	uint64_t va;
	bool encrypted;
	unsigned int msr_writes_before;
	unsigned int pvalidates_before;
};
static struct cbit_call cbit_calls[4];
static unsigned int cbit_count;
static int cbit_result;
static unsigned int log_count;
static char log_line[256];
/* Per exit: was the page all zero when the host saw the request (script for the hooks). */
static bool page_zero_at_exit[8];
static unsigned int pvalidates_at_exit[8];

static int fake_set_encrypted(vaddr_t va, bool encrypted)
{
	if (cbit_count < 4) {
		cbit_calls[cbit_count] = (struct cbit_call){
			.va = vaddr_get(va),
			.encrypted = encrypted,
			.msr_writes_before = snp_mock.msr_write_count,
			.pvalidates_before = snp_mock.pvalidate_count,
		};
	}
	cbit_count++;
	return cbit_result;
}

static void fake_log(const char *line)
{
	log_count++;
	snprintf(log_line, sizeof(log_line), "%s", line);
}

static const struct ghcb_setup_ops fake_ops = {
	.set_encrypted = fake_set_encrypted,
	.log = fake_log,
};

static bool page_is_zero(void)
{
	for (size_t i = 0; i < sizeof(setup_page); i++) {
		if (setup_page[i] != 0) {
			return false;
		}
	}
	return true;
}

/* Records the page and PVALIDATE state at every MSR-protocol exit, then applies the scripted
 * answer: on exit script[0] - 1 (if non-zero) the response becomes script[1]. */
static void hook_record(struct snp_mock_hv *hv, unsigned int exit_index, uint64_t req,
			uint64_t *resp)
{
	(void)req;
	if (exit_index < 8) {
		page_zero_at_exit[exit_index] = page_is_zero();
		pvalidates_at_exit[exit_index] = hv->pvalidate_count;
	}
	if (hv->script[0] != 0 && exit_index == hv->script[0] - 1) {
		*resp = hv->script[1];
	}
}

static void setup_env(void)
{
	snp_mock_hv_reset();
	/* The page the mock will see as the GHCB, not registered yet. */
	snp_mock_hv_attach_ghcb((struct ghcb *)setup_page, TEST_GPA, false);
	snp_mock.msr_hook = hook_record;
	memset(setup_page, 0xAA, sizeof(setup_page)); /* whatever the allocator left */
	memset(&setup_ctx, 0, sizeof(setup_ctx));
	memset(cbit_calls, 0, sizeof(cbit_calls));
	memset(page_zero_at_exit, 0, sizeof(page_zero_at_exit));
	memset(pvalidates_at_exit, 0, sizeof(pvalidates_at_exit));
	cbit_count = 0;
	cbit_result = 0;
	log_count = 0;
	log_line[0] = '\0';
}

static void do_setup(void)
{
	ghcb_setup(&setup_ctx, &fake_ops, vaddr_from_ptr(setup_page), paddr_init(TEST_GPA));
}

static void do_teardown(void)
{
	ghcb_teardown(&setup_ctx, &fake_ops);
}

static struct snp_insn_ret pvalidate_fail_input(struct snp_mock_hv *hv, unsigned int i,
						uint64_t va, uint32_t size, uint64_t arg)
{
	(void)hv;
	(void)i;
	(void)va;
	(void)size;
	(void)arg;
	return (struct snp_insn_ret){ .eax = 1, .cf = false };
}

static struct snp_insn_ret pvalidate_no_change(struct snp_mock_hv *hv, unsigned int i,
					       uint64_t va, uint32_t size, uint64_t arg)
{
	(void)hv;
	(void)i;
	(void)va;
	(void)size;
	(void)arg;
	return (struct snp_insn_ret){ .eax = 0, .cf = true };
}

/* The failure ended in exactly one termination request, the last MSR write, with code. */
static void expect_terminated(uint8_t code, unsigned int msr_writes)
{
	EXPECT_TRUE(snp_mock.terminated);
	EXPECT_EQ(snp_mock.term_request, TERM(code));
	ASSERT_EQ(snp_mock.msr_write_count, msr_writes);
	EXPECT_EQ(snp_mock.msr_writes[msr_writes - 1], TERM(code));
	EXPECT_EQ(snp_mock.halt_count, 1);
	EXPECT_EQ(log_count, 1);
}

/* ---- setup -------------------------------------------------------------------------------- */

KTEST(snp_ghcb_setup, happy_path_in_order)
{
	uint64_t features = 0;

	setup_env();
	do_setup();
	/* 1. PVALIDATE rescind of the 4 KiB page, before anything reached the host. */
	ASSERT_EQ(snp_mock.pvalidate_count, 1);
	EXPECT_EQ(snp_mock.pvalidates[0].va, (uint64_t)(uintptr_t)setup_page);
	EXPECT_EQ(snp_mock.pvalidates[0].size, 0);
	EXPECT_EQ(snp_mock.pvalidates[0].arg, 0);
	EXPECT_EQ(pvalidates_at_exit[0], 1);
	/* 2. then 5.: exactly two MSR-protocol exchanges, in this order, with these values. */
	ASSERT_EQ(snp_mock.msr_write_count, 2);
	EXPECT_EQ(snp_mock.msr_writes[0], REQ_PSC_SHARED);
	EXPECT_EQ(snp_mock.msr_writes[1], REQ_REGISTER);
	ASSERT_EQ(snp_mock.exit_count, 2);
	EXPECT_FALSE(snp_mock.exits[0].nae);
	EXPECT_FALSE(snp_mock.exits[1].nae);
	EXPECT_EQ(snp_mock.psc_done_count, 1);
	EXPECT_EQ(snp_mock.psc_done[0], REQ_PSC_SHARED & ~0xFFFull);
	/* 3. C-bit cleared once, after the PSC and before the registration. */
	ASSERT_EQ(cbit_count, 1);
	EXPECT_EQ(cbit_calls[0].va, (uint64_t)(uintptr_t)setup_page);
	EXPECT_FALSE(cbit_calls[0].encrypted);
	EXPECT_EQ(cbit_calls[0].msr_writes_before, 1);
	/* 4. zeroed before the host was told where it is. */
	EXPECT_FALSE(page_zero_at_exit[0]);
	EXPECT_TRUE(page_zero_at_exit[1]);
	/* 6. the context is ready and the mock accepts GHCB exits on the registered page. */
	EXPECT_TRUE(setup_ctx.page == (struct ghcb *)setup_page);
	EXPECT_EQ(paddr_get(setup_ctx.pa), TEST_GPA);
	EXPECT_EQ(snp_mock.registered_gpa, TEST_GPA);
	EXPECT_TRUE(snp_mock.ghcb_registered);
	ASSERT_EQ(ghcb_hv_features(&setup_ctx, &features), SNP_OK);
	EXPECT_EQ(snp_mock_hv_last_exit()->msr, TEST_GPA);
	EXPECT_FALSE(snp_mock.terminated);
	EXPECT_EQ(log_count, 0);
}

KTEST(snp_ghcb_setup, pvalidate_failure_terminates_before_the_host_hears_of_it)
{
	setup_env();
	snp_mock.pvalidate_hook = pvalidate_fail_input;
	EXPECT_PANIC(do_setup());
	expect_terminated(0x02, 1); /* BASTION_TERM_PVALIDATE; no PSC was sent */
	EXPECT_TRUE(strstr(log_line, "GHCB at GPA 0x12345000") != NULL);
	EXPECT_TRUE(strstr(log_line, "PVALIDATE rescind failed: SNP_ERR_PVALIDATE_INPUT") != NULL);
	EXPECT_EQ(cbit_count, 0);
	EXPECT_TRUE(setup_ctx.page == NULL);

	/* CF = 1: the page was not valid: the allocator's bookkeeping is wrong. */
	setup_env();
	snp_mock.pvalidate_hook = pvalidate_no_change;
	EXPECT_PANIC(do_setup());
	expect_terminated(0x02, 1);
	EXPECT_TRUE(strstr(log_line, "SNP_ERR_PVALIDATE_NO_CHANGE") != NULL);
}

/* One scripted bad answer on MSR exit `exit` (1-based) must end in terminate(code). */
static void run_bad_answer(unsigned int exit, uint64_t resp, uint8_t code, unsigned int writes,
			   const char *step, const char *why)
{
	setup_env();
	snp_mock.script[0] = exit;
	snp_mock.script[1] = resp;
	EXPECT_PANIC(do_setup());
	expect_terminated(code, writes);
	EXPECT_TRUE(strstr(log_line, step) != NULL);
	EXPECT_TRUE(strstr(log_line, why) != NULL);
	EXPECT_TRUE(setup_ctx.page == NULL);
}

KTEST(snp_ghcb_setup, psc_errors_terminate)
{
	static const char step[] = "page state change to shared failed";

	/* First exit: the PSC; BASTION_TERM_PSC; the C-bit is never touched. */
	run_bad_answer(1, (5ull << 32) | 0x015, 0x01, 2, step,
		       "SNP_ERR_MSR_RESP_ERROR (host error 0x5)");
	run_bad_answer(1, 0x013, 0x01, 2, step, "SNP_ERR_MSR_RESP_CODE"); /* wrong code */
	run_bad_answer(1, (1ull << 12) | 0x015, 0x01, 2, step, "SNP_ERR_MSR_RESP_RESERVED");
	run_bad_answer(1, REQ_PSC_SHARED, 0x01, 2, step, "SNP_ERR_MSR_RESP_CODE"); /* echo */
	EXPECT_EQ(cbit_count, 0);
}

KTEST(snp_ghcb_setup, cbit_failure_terminates)
{
	setup_env();
	cbit_result = -1;
	EXPECT_PANIC(do_setup());
	expect_terminated(0x11, 2); /* BASTION_TERM_GHCB_SETUP; no registration */
	EXPECT_TRUE(strstr(log_line, "clearing the C-bit") != NULL);
	EXPECT_EQ(setup_page[0], 0xAA); /* not touched through a mapping that failed */
}

KTEST(snp_ghcb_setup, registration_errors_terminate)
{
	static const char step[] = "registration failed";

	/* Second exit: the registration; BASTION_TERM_GHCB_REGISTER. */
	run_bad_answer(2, ((TEST_GFN + 1) << 12) | 0x013, 0x00, 3, step,
		       "SNP_ERR_MSR_GFN_MISMATCH"); /* another GPA echoed */
	run_bad_answer(2, 0xFFFFFFFFFFFFF013ull, 0x00, 3, step,
		       "SNP_ERR_MSR_GFN_MISMATCH"); /* refusal */
	run_bad_answer(2, (TEST_GFN << 12) | 0x015, 0x00, 3, step, "SNP_ERR_MSR_RESP_CODE");
	run_bad_answer(2, REQ_REGISTER, 0x00, 3, step, "SNP_ERR_MSR_RESP_CODE"); /* echo */
	EXPECT_EQ(cbit_count, 1);
}

KTEST(snp_ghcb_setup, bastion_bugs_are_checks)
{
	setup_env();
	EXPECT_PANIC(ghcb_setup(&setup_ctx, &fake_ops, vaddr_from_ptr(setup_page + 8),
				paddr_init(TEST_GPA)));
	EXPECT_PANIC(ghcb_setup(&setup_ctx, &fake_ops, vaddr_from_ptr(setup_page),
				paddr_init(TEST_GPA + 0x10)));
	EXPECT_TRUE(strstr(host_panic_message, "CHECK failed") != NULL);
	EXPECT_EQ(snp_mock.pvalidate_count, 0);
	EXPECT_EQ(snp_mock.msr_write_count, 0);
	EXPECT_FALSE(snp_mock.terminated);
}

/* ---- teardown ------------------------------------------------------------------------------ */

KTEST(snp_ghcb_setup, teardown_reverses_setup)
{
	setup_env();
	do_setup();
	memset(setup_page, 0x5A, sizeof(setup_page)); /* host scribbles on the shared page */
	do_teardown();
	ASSERT_EQ(snp_mock.msr_write_count, 3);
	EXPECT_EQ(snp_mock.msr_writes[2], REQ_PSC_PRIVATE);
	ASSERT_EQ(cbit_count, 2);
	EXPECT_TRUE(cbit_calls[1].encrypted);
	EXPECT_EQ(cbit_calls[1].va, (uint64_t)(uintptr_t)setup_page);
	EXPECT_EQ(cbit_calls[1].msr_writes_before, 3); /* after the PSC to private */
	EXPECT_EQ(cbit_calls[1].pvalidates_before, 1); /* before the validation */
	ASSERT_EQ(snp_mock.pvalidate_count, 2);
	EXPECT_EQ(snp_mock.pvalidates[1].va, (uint64_t)(uintptr_t)setup_page);
	EXPECT_EQ(snp_mock.pvalidates[1].size, 0);
	EXPECT_EQ(snp_mock.pvalidates[1].arg, 1);
	EXPECT_TRUE(page_is_zero());
	EXPECT_TRUE(setup_ctx.page == NULL);
	EXPECT_EQ(paddr_get(setup_ctx.pa), 0);
	EXPECT_FALSE(snp_mock.terminated);
	EXPECT_EQ(log_count, 0);
}

KTEST(snp_ghcb_setup, teardown_errors_terminate)
{
	setup_env();
	do_setup();
	snp_mock.script[0] = 3; /* third exit: the PSC to private */
	snp_mock.script[1] = (1ull << 32) | 0x015;
	EXPECT_PANIC(do_teardown());
	expect_terminated(0x01, 4);
	EXPECT_TRUE(strstr(log_line, "page state change to private failed") != NULL);
	EXPECT_EQ(snp_mock.pvalidate_count, 1);

	setup_env();
	do_setup();
	cbit_result = -1;
	EXPECT_PANIC(do_teardown());
	expect_terminated(0x11, 4);
	EXPECT_TRUE(strstr(log_line, "setting the C-bit") != NULL);
	EXPECT_EQ(snp_mock.pvalidate_count, 1);

	/* CF = 1 on validate: the page was already valid, i.e. the host replayed it. */
	setup_env();
	do_setup();
	snp_mock.pvalidate_hook = pvalidate_no_change;
	EXPECT_PANIC(do_teardown());
	expect_terminated(0x02, 4);
	EXPECT_TRUE(strstr(log_line, "PVALIDATE validate failed: SNP_ERR_PVALIDATE_NO_CHANGE") !=
		    NULL);

	/* Teardown of a context that was never set up is a Bastion bug. */
	setup_env();
	EXPECT_PANIC(do_teardown());
	EXPECT_FALSE(snp_mock.terminated);
}
