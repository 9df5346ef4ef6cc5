/*
 * PVALIDATE (SVSM spec 58019 table 6; ABI reference 2.2; docs/abi.md row 1, D2-D6, D14, D16):
 * list placement and header rules, entry rules, refused targets, page-state changes
 * (double validation with and without ignore_cf, rescind then validate returns a zeroed page),
 * `next` on errors and resume, the largest list, and a 2 MiB entry over a partly rescinded
 * chunk (FAIL_SIZEMISMATCH, then the 4 KiB split).
 */
#include "tests/guest/conformance/checks.h"

#include "tests/guest/conformance/check.h"
#include "tests/guest/conformance/io.h"
#include "tests/guest/conformance/layout.h"
#include "tests/guest/conformance/svsm.h"

#define PAGE 0x1000ull
#define WORDS_4K (PAGE / 8)

/* A one-entry list at list_gpa; returns RAX. */
static uint64_t pv1_at(uint64_t list_gpa, uint64_t entry)
{
	list_init(list_gpa, 1, 0);
	list_entries(list_gpa)[0] = entry;
	return pvalidate_list(list_gpa);
}

static uint16_t next_of(uint64_t list_gpa)
{
	return list_hdr(list_gpa)->next;
}

static void fill(uint64_t gpa, uint64_t size, uint64_t seed)
{
	volatile uint64_t *p = gpa_ptr(gpa);

	for (uint64_t i = 0; i < size / 8; i++) {
		p[i] = seed ^ (gpa + 8 * i);
	}
}

/* Number of non-zero 8-byte words in [gpa, gpa + size). */
static uint64_t nonzero_words(uint64_t gpa, uint64_t size)
{
	volatile const uint64_t *p = gpa_ptr(gpa);
	uint64_t n = 0;

	for (uint64_t i = 0; i < size / 8; i++) {
		n += p[i] != 0;
	}
	return n;
}

static void checks_list_rules(void)
{
	const uint64_t ok_entry = pv_entry(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, true, true);
	struct svsm_regs r;

	/* The list GPA must be 8-byte aligned (misaligned input: INVALID_PARAMETER). */
	list_init(LIST0_GPA + 8, 1, 0);
	list_entries(LIST0_GPA + 8)[0] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA + 12), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE list at a 4-byte aligned GPA: INVALID_PARAMETER");
	check_eq(pvalidate_list(LIST0_GPA + 9), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE list at an odd GPA: INVALID_PARAMETER");

	/* Counts: entries >= 1, next < entries. */
	list_init(LIST0_GPA, 0, 0);
	check_eq(pvalidate_list(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE with 0 entries: INVALID_PARAMETER");
	list_init(LIST0_GPA, 1, 1);
	list_entries(LIST0_GPA)[0] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE with next == entries (1, 1): INVALID_PARAMETER");
	list_init(LIST0_GPA, 2, 0x7FFF);
	list_entries(LIST0_GPA)[1] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE with next > entries (2, 0x7fff): INVALID_PARAMETER");

	/* The list must not cross a 4 KiB boundary. */
	list_init(LIST0_GPA, 512, 0);
	check_eq(pvalidate_list(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE with 512 entries at a page start (4104 bytes): INVALID_PARAMETER");
	list_init(LIST0_GPA, 0xFFFF, 0);
	check_eq(pvalidate_list(LIST0_GPA), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE with 65535 entries: INVALID_PARAMETER");
	list_init(LIST0_GPA + PAGE - 16, 2, 0);
	list_entries(LIST0_GPA + PAGE - 16)[0] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA + PAGE - 16), SVSM_ERR_INVALID_PARAMETER,
		 "PVALIDATE list at page offset 0xff0 with 2 entries (crosses): INVALID_PARAMETER");
	list_init(LIST0_GPA + PAGE - 16, 1, 0);
	list_entries(LIST0_GPA + PAGE - 16)[0] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA + PAGE - 16), SVSM_SUCCESS,
		 "PVALIDATE list at page offset 0xff0 with 1 entry (ends at the page end): SUCCESS");

	/* The header's reserved word is not checked (docs/abi.md D14). */
	list_init(LIST0_GPA, 1, 0);
	list_hdr(LIST0_GPA)->reserved = 0xFFFFFFFFu;
	list_entries(LIST0_GPA)[0] = ok_entry;
	check_eq(pvalidate_list(LIST0_GPA), SVSM_SUCCESS,
		 "PVALIDATE with the header's reserved word set: SUCCESS (ignored, D14)");

	/* A list the SVSM cannot read: in its own region, past RAM, on an unvalidated page. */
	check_eq(pvalidate_list(svsm.base + 0x100), SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE list inside Bastion's region: INVALID_ADDRESS (D2)");
	check_eq(pvalidate_list(GUEST_RAM_END + 0x100), SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE list past RAM: INVALID_ADDRESS");
	check_eq(svsm_call3(SVSM_CORE_PROTOCOL, SVSM_CORE_PVALIDATE, 0xFFFFFFFFFFFFFFF8ull, 0, 0, &r),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE list at GPA 0xfffffffffffffff8: INVALID_ADDRESS");
	list_init(LIST1_GPA, 1, 0);
	list_entries(LIST1_GPA)[0] = ok_entry;
	check_eq(pv1_at(LIST0_GPA, pv_entry(LIST1_GPA, SVSM_PAGE_SIZE_4K, false, false)),
		 SVSM_SUCCESS, "PVALIDATE rescind of a list page (for the next check)");
	check_eq(pvalidate_list(LIST1_GPA), SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE list on an unvalidated page: INVALID_ADDRESS");
	check_eq(pv1_at(LIST0_GPA, pv_entry(LIST1_GPA, SVSM_PAGE_SIZE_4K, true, false)),
		 SVSM_SUCCESS, "PVALIDATE validate of that list page again");
}

static void checks_entry_rules(void)
{
	static const struct {
		uint64_t entry;
		const char *what;
	} bad[] = {
		{ (PAGE_A_GPA) | SVSM_PVALIDATE_ENTRY_VALIDATE | 0x10, "reserved bit 4" },
		{ (PAGE_A_GPA) | SVSM_PVALIDATE_ENTRY_VALIDATE | 0x800, "reserved bit 11" },
		{ (PAGE_A_GPA) | SVSM_PVALIDATE_ENTRY_VALIDATE | 0x2, "page size 2" },
		{ (PAGE_A_GPA) | SVSM_PVALIDATE_ENTRY_VALIDATE | 0x3, "page size 3" },
		{ (SPLIT_CHUNK_GPA + PAGE) | SVSM_PVALIDATE_ENTRY_VALIDATE | SVSM_PAGE_SIZE_2M,
		  "2 MiB entry with GFN bit 12 set" },
		{ (SPLIT_CHUNK_GPA + 0x100000) | SVSM_PVALIDATE_ENTRY_VALIDATE | SVSM_PAGE_SIZE_2M,
		  "2 MiB entry with GFN bit 20 set" },
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Behind a good entry: the good one is done, `next` names the bad one. */
		list_init(LIST0_GPA, 2, 0);
		list_entries(LIST0_GPA)[0] = pv_entry(PAGE_B_GPA, SVSM_PAGE_SIZE_4K, true, true);
		list_entries(LIST0_GPA)[1] = bad[i].entry;
		uint64_t rax = pvalidate_list(LIST0_GPA);
		check_true(rax == SVSM_ERR_INVALID_PARAMETER && next_of(LIST0_GPA) == 1,
			   "PVALIDATE entry with %s: INVALID_PARAMETER, next 1 (got 0x%lx, next %u)",
			   bad[i].what, rax, next_of(LIST0_GPA));
	}
}

static void checks_refused_targets(void)
{
	/* GPAs of the SVSM, active CAAs and non-RAM are INVALID_ADDRESS (ABI reference 2.2, D5). */
	check_eq(pvalidate_one(svsm.base, SVSM_PAGE_SIZE_4K, true, false), SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE validate of Bastion's first page: INVALID_ADDRESS");
	check_eq(pvalidate_one(svsm.base + 0x20000, SVSM_PAGE_SIZE_4K, false, false),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE rescind of a Bastion code page: INVALID_ADDRESS");
	check_eq(pvalidate_one(svsm.base + svsm.size - PAGE, SVSM_PAGE_SIZE_4K, false, true),
		 SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE rescind (ignore_cf) of Bastion's last page: INVALID_ADDRESS");
	check_eq(pvalidate_one(svsm.base, SVSM_PAGE_SIZE_2M, false, false), SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE 2 MiB rescind of Bastion's first chunk: INVALID_ADDRESS");
	check_eq(pvalidate_one(svsm.base + svsm.size - 0x200000, SVSM_PAGE_SIZE_2M, true, true),
		 SVSM_ERR_INVALID_ADDRESS,
		 "PVALIDATE 2 MiB validate of Bastion's last chunk: INVALID_ADDRESS");
	check_eq(pvalidate_one(svsm_caa_gpa, SVSM_PAGE_SIZE_4K, false, false),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE rescind of the current CAA: INVALID_ADDRESS");
	check_eq(pvalidate_one(GUEST_RAM_END, SVSM_PAGE_SIZE_4K, true, false),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE validate of the first page past RAM: INVALID_ADDRESS");
	check_eq(pvalidate_one(0xFFFFFFFFFFFFF000ull, SVSM_PAGE_SIZE_4K, true, false),
		 SVSM_ERR_INVALID_ADDRESS, "PVALIDATE validate of GFN 0xfffffffffffff: INVALID_ADDRESS");

	/* In a list the refused entry stops the call with `next` on it; resume past it. */
	list_init(LIST0_GPA, 4, 0);
	list_entries(LIST0_GPA)[0] = pv_entry(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, true, true);
	list_entries(LIST0_GPA)[1] = pv_entry(PAGE_B_GPA, SVSM_PAGE_SIZE_4K, true, true);
	list_entries(LIST0_GPA)[2] = pv_entry(svsm.base + PAGE, SVSM_PAGE_SIZE_4K, true, true);
	list_entries(LIST0_GPA)[3] = pv_entry(PAGE_C_GPA, SVSM_PAGE_SIZE_4K, true, true);
	uint64_t rax = pvalidate_list(LIST0_GPA);
	check_true(rax == SVSM_ERR_INVALID_ADDRESS && next_of(LIST0_GPA) == 2,
		   "PVALIDATE list whose entry 2 is Bastion's: INVALID_ADDRESS, next 2 (got 0x%lx, "
		   "next %u)",
		   rax, next_of(LIST0_GPA));
	list_hdr(LIST0_GPA)->next = 3;
	rax = pvalidate_list(LIST0_GPA);
	check_true(rax == SVSM_SUCCESS && next_of(LIST0_GPA) == 4,
		   "PVALIDATE resumed at next 3: SUCCESS, next 4 (got 0x%lx, next %u)", rax,
		   next_of(LIST0_GPA));
}

static void checks_page_states(void)
{
	volatile uint64_t *a = gpa_ptr(PAGE_A_GPA);
	uint64_t rax = 0;

	/* Validating a validated page: CF = 1, "no change" (0x80001010) unless ignore_cf. */
	a[0] = 0x600DF00Dull;
	check_true(pv1_at(LIST0_GPA, pv_entry(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, true, false)) ==
				   SVSM_PVALIDATE_FAIL_NO_CHANGE &&
			   next_of(LIST0_GPA) == 0,
		   "PVALIDATE validate of a validated page: 0x80001010, next 0");
	rax = pv1_at(LIST0_GPA, pv_entry(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, true, true));
	check_true(rax == SVSM_SUCCESS && next_of(LIST0_GPA) == 1,
		   "PVALIDATE validate of a validated page with ignore_cf: SUCCESS, next 1");
	check_eq(a[0], 0x600DF00Dull,
		 "PVALIDATE validate with ignore_cf left the validated page's data alone (D3)");

	/* Rescind, rescind again, validate: the page comes back zeroed. */
	fill(PAGE_A_GPA, PAGE, 0xD1D1D1D1D1D1D1D1ull);
	check_eq(pvalidate_one(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, false, false), SVSM_SUCCESS,
		 "PVALIDATE rescind of a dirty page: SUCCESS");
	check_eq(pvalidate_one(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, false, false),
		 SVSM_PVALIDATE_FAIL_NO_CHANGE, "PVALIDATE rescind of a rescinded page: 0x80001010");
	check_eq(pvalidate_one(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, false, true), SVSM_SUCCESS,
		 "PVALIDATE rescind of a rescinded page with ignore_cf: SUCCESS");
	check_eq(pvalidate_one(PAGE_A_GPA, SVSM_PAGE_SIZE_4K, true, false), SVSM_SUCCESS,
		 "PVALIDATE validate of the rescinded page: SUCCESS");
	check_eq(nonzero_words(PAGE_A_GPA, PAGE), 0,
		 "PVALIDATE rescind then validate: every word of the page reads 0");
}

/* 511 entries fill a page exactly when the list starts at offset 0 (8 + 511 * 8 = 4096). */
static void checks_max_list(void)
{
	list_init(LIST2_GPA, 511, 0);
	for (unsigned int i = 0; i < 511; i++) {
		list_entries(LIST2_GPA)[i] =
			pv_entry(MAXLIST_TARGET_GPA + PAGE * i, SVSM_PAGE_SIZE_4K, true, true);
	}
	uint64_t rax = pvalidate_list(LIST2_GPA);
	check_true(rax == SVSM_SUCCESS && next_of(LIST2_GPA) == 511,
		   "PVALIDATE with 511 entries (the page exactly): SUCCESS, next 511 (got 0x%lx, "
		   "next %u)",
		   rax, next_of(LIST2_GPA));
	/* The Linux/OVMF maximum: 510 entries at CAA + 8 (ABI reference 2.2). */
	uint64_t l = svsm_caa_gpa + SVSM_CAA_BUFFER_OFFSET;
	list_init(l, SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA, 0);
	for (unsigned int i = 0; i < SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA; i++) {
		list_entries(l)[i] = pv_entry(MAXLIST_TARGET_GPA + PAGE * i, SVSM_PAGE_SIZE_4K, true, true);
	}
	rax = pvalidate_list(l);
	check_true(rax == SVSM_SUCCESS && next_of(l) == SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA,
		   "PVALIDATE with 510 entries at CAA + 8: SUCCESS, next 510 (got 0x%lx, next %u)",
		   rax, next_of(l));
}

/*
 * A 2 MiB entry over a chunk whose pages differ (one 4 KiB page rescinded): FAIL_SIZEMISMATCH
 * with `next` on the entry; Linux and OVMF then redo the range as 4 KiB entries (ABI
 * reference 2.2, docs/abi.md D4).
 */
static void checks_size_mismatch(void)
{
	const uint64_t odd = SPLIT_CHUNK_GPA + 5 * PAGE;
	uint64_t rax = 0;

	fill(SPLIT_CHUNK_GPA, 0x200000, 0x5157);
	check_eq(pvalidate_one(odd, SVSM_PAGE_SIZE_4K, false, false), SVSM_SUCCESS,
		 "PVALIDATE rescind of one 4 KiB page of a 2 MiB chunk: SUCCESS");
	rax = pv1_at(LIST0_GPA, pv_entry(SPLIT_CHUNK_GPA, SVSM_PAGE_SIZE_2M, false, false));
	check_true(rax == SVSM_PVALIDATE_FAIL_SIZEMISMATCH && next_of(LIST0_GPA) == 0,
		   "PVALIDATE 2 MiB rescind of that chunk: 0x80001006, next 0 (got 0x%lx, next %u)",
		   rax, next_of(LIST0_GPA));
	rax = pv1_at(LIST0_GPA, pv_entry(SPLIT_CHUNK_GPA, SVSM_PAGE_SIZE_2M, true, false));
	check_eq(rax, SVSM_PVALIDATE_FAIL_SIZEMISMATCH,
		 "PVALIDATE 2 MiB validate of that chunk: 0x80001006");
	/* The split: 511 remaining pages in two lists (a list holds at most 511). */
	list_init(LIST0_GPA, 256, 0);
	list_init(LIST1_GPA, 255, 0);
	for (unsigned int i = 0, n0 = 0, n1 = 0; i < 512; i++) {
		uint64_t gpa = SPLIT_CHUNK_GPA + PAGE * i;

		if (gpa == odd) {
			continue;
		}
		if (n0 < 256) {
			list_entries(LIST0_GPA)[n0++] = pv_entry(gpa, SVSM_PAGE_SIZE_4K, false, false);
		} else {
			list_entries(LIST1_GPA)[n1++] = pv_entry(gpa, SVSM_PAGE_SIZE_4K, false, false);
		}
	}
	rax = pvalidate_list(LIST0_GPA);
	uint64_t rax1 = pvalidate_list(LIST1_GPA);
	check_true(rax == SVSM_SUCCESS && rax1 == SVSM_SUCCESS,
		   "PVALIDATE split into 4 KiB rescinds: SUCCESS (got 0x%lx, 0x%lx)", rax, rax1);
	/* Now the chunk is uniform again: one 2 MiB validate covers it, and it reads zero. */
	rax = pv1_at(LIST0_GPA, pv_entry(SPLIT_CHUNK_GPA, SVSM_PAGE_SIZE_2M, true, false));
	check_eq(rax, SVSM_SUCCESS, "PVALIDATE 2 MiB validate of the uniform chunk: SUCCESS");
	check_eq(rax == SVSM_SUCCESS ? nonzero_words(SPLIT_CHUNK_GPA, 0x200000) : ~0ull, 0,
		 "PVALIDATE 2 MiB validate: every word of the 2 MiB chunk reads 0");
	check_eq(pv1_at(LIST0_GPA, pv_entry(SPLIT_CHUNK_GPA, SVSM_PAGE_SIZE_2M, true, false)),
		 SVSM_PVALIDATE_FAIL_NO_CHANGE, "PVALIDATE 2 MiB validate again: 0x80001010");
}

void checks_pvalidate(void)
{
	checks_list_rules();
	checks_entry_rules();
	checks_refused_targets();
	checks_page_states();
	checks_max_list();
	checks_size_mismatch();
}
