/*
 * PVALIDATE of 256 MiB in 2 MiB entries (issue 5 acceptance): [512 MiB, 768 MiB) is dirtied,
 * rescinded and validated again with 128-entry lists, each re-issued while the SVSM answers
 * INCOMPLETE (its per-call bound, docs/abi.md D6: 64 MiB), and then every 8-byte word of the
 * range must read zero (a validated page is zeroed, ABI reference 2.2).
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

#define CHUNK 0x200000ull
#define CHUNKS ((unsigned int)(BIG_SIZE / CHUNK))

static void big_list(bool validate)
{
	list_init(LIST0_GPA, CHUNKS, 0);
	for (unsigned int i = 0; i < CHUNKS; i++) {
		list_entries(LIST0_GPA)[i] =
			pv_entry(BIG_GPA + CHUNK * i, SVSM_PAGE_SIZE_2M, validate, false);
	}
}

static void big_pass(bool validate)
{
	const char *what = validate ? "validate" : "rescind";
	unsigned int incompletes = 0;
	bool progressed = false;
	uint64_t rax = 0;

	big_list(validate);
	rax = pvalidate_until_done(LIST0_GPA, &incompletes, &progressed);
	note("256 MiB %s: %u INCOMPLETE answers before the final one", what, incompletes);
	check_true(rax == SVSM_SUCCESS && list_hdr(LIST0_GPA)->next == CHUNKS,
		   "256 MiB %s in 128 2 MiB entries: SUCCESS, next 128 (got 0x%lx, next %u)", what,
		   rax, list_hdr(LIST0_GPA)->next);
	check_true(progressed, "256 MiB %s: every INCOMPLETE answer advanced next", what);
	/* 128 entries of 512 pages exceed the 16384-page bound: at least one INCOMPLETE. */
	check_true(incompletes > 0, "256 MiB %s: the SVSM bounded its work (INCOMPLETE seen %u times)",
		   what, incompletes);
}

void checks_big(void)
{
	volatile uint64_t *p = gpa_ptr(BIG_GPA);
	uint64_t nonzero = 0;

	for (uint64_t i = 0; i < BIG_SIZE / 8; i++) {
		p[i] = ~(BIG_GPA + 8 * i);
	}
	note("256 MiB at 0x%lx dirtied", BIG_GPA);
	big_pass(false);
	big_pass(true);
	for (uint64_t i = 0; i < BIG_SIZE / 8; i++) {
		nonzero += p[i] != 0;
	}
	check_eq(nonzero, 0, "256 MiB validated: every 8-byte word reads 0 (non-zero words counted)");
}
