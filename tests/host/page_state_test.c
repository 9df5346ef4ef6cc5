/*
 * Host tests for mm/page_state: the transition table against an independent reference model,
 * 2 MiB all-or-nothing semantics, a long randomized run against a plain array, allocation
 * failure injected into every split, memory cost, and corruption detection.
 *
 * The reference model (model_record) is written per op from the rules in docs/page-state.md,
 * not from the table in mm/page_state.c, so a wrong table row shows up as a mismatch.
 * check_detects_corruption is white-box: it relies on the chunk-entry encoding documented at
 * the top of mm/page_state.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/page_state.h"
#include "tests/host/host_panic.h"
#include "tests/ktest/ktest.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

#define R_NONE ((uint8_t)PS_OWNER_NONE)
#define R_B ((uint8_t)PS_OWNER_BASTION)
#define R_F ((uint8_t)(PS_OWNER_FIRMWARE | PAGE_STATE_VALIDATED))
#define R_G ((uint8_t)PS_OWNER_GUEST)
#define R_GV ((uint8_t)(PS_OWNER_GUEST | PAGE_STATE_VALIDATED))
#define R_GS ((uint8_t)(PS_OWNER_GUEST | PAGE_STATE_SHARED))
#define R_GVMSA ((uint8_t)(R_GV | PAGE_STATE_VMSA))
#define R_GCAA ((uint8_t)(R_GV | PAGE_STATE_CAA))
#define R_BD ((uint8_t)(PS_OWNER_BASTION | PAGE_STATE_VALIDATED)) /* deposited guest memory */

/* Every reachable record. */
static const uint8_t all_states[] = { R_NONE, R_B, R_F, R_G, R_GV, R_GS, R_GVMSA, R_GCAA, R_BD };
#define STATE_COUNT (sizeof(all_states) / sizeof(all_states[0]))

static const unsigned int all_flags[] = { 0, PS_F_IGNORE_SAME, PS_F_CHECK_ONLY,
					  PS_F_IGNORE_SAME | PS_F_CHECK_ONLY };
#define FLAG_SETS (sizeof(all_flags) / sizeof(all_flags[0]))

/* ---- a counting, failure-injecting allocator -------------------------------------------- */

struct test_alloc {
	uint64_t calls;    /* alloc calls so far */
	uint64_t fail_at;  /* fail the call with this number (1-based); 0 = never */
	bool fail_all;
	size_t live_count;
	size_t live_bytes;
	size_t bad_frees;  /* frees whose size did not match the allocation */
};

struct test_alloc_hdr {
	size_t size;
	size_t magic;
};

#define TEST_ALLOC_MAGIC 0x5053414c4c4f43ull

static void *test_alloc_fn(size_t size, void *ctx)
{
	struct test_alloc *ta = ctx;
	struct test_alloc_hdr *h = NULL;

	ta->calls++;
	if (ta->fail_all || ta->calls == ta->fail_at) {
		return NULL;
	}
	h = malloc(sizeof(*h) + size);
	if (h == NULL) {
		return NULL;
	}
	h->size = size;
	h->magic = TEST_ALLOC_MAGIC;
	ta->live_count++;
	ta->live_bytes += size;
	return h + 1;
}

static void test_free_fn(void *p, size_t size, void *ctx)
{
	struct test_alloc *ta = ctx;
	struct test_alloc_hdr *h = (struct test_alloc_hdr *)p - 1;

	if (h->magic != TEST_ALLOC_MAGIC || h->size != size) {
		ta->bad_frees++;
	}
	h->magic = 0;
	ta->live_count--;
	ta->live_bytes -= size;
	free(h);
}

static struct page_state_callbacks test_cb(struct test_alloc *ta)
{
	return (struct page_state_callbacks){ .alloc = test_alloc_fn, .free = test_free_fn,
					      .ctx = ta };
}

/* ---- memory maps ------------------------------------------------------------------------- */

static void map_add(struct boot_memmap *map, uint64_t base, uint64_t size, enum boot_mem_type t)
{
	map->ranges[map->count++] = (struct boot_mem_range){ .base = base, .size = size, .type = t };
}

/*
 * The small sparse map most tests use (8 chunks in 4 segments):
 *   chunks 0, 1       RAM, uniform
 *   chunk 2           3 pages RAM, the rest platform-reserved (not RAM): a leaf
 *   chunk 3           RAM (its range touches chunk 2's, so one segment 0..3)
 *   chunks 4..7       hole
 *   chunk 8           pages 1..510 RAM from two adjacent ranges: a leaf
 *   chunk 16          two ranges that fill it exactly: collapsed to uniform at init
 *   chunks 512, 513   a high range at 1 GiB
 */
#define SMALL_EXTENT_PAGES 0x40400u
#define SMALL_RAM_PAGES (0x403u + 0x200u + 0xffu + 0xffu + 0x200u + 0x400u)

static void map_small(struct boot_memmap *map)
{
	memset(map, 0, sizeof(*map));
	map_add(map, 0x0, 0x403000, BOOT_MEM_RAM);
	map_add(map, 0x403000, 0x1fd000, BOOT_MEM_PLATFORM_RESERVED);
	map_add(map, 0x600000, 0x200000, BOOT_MEM_RAM);
	map_add(map, 0x1001000, 0xff000, BOOT_MEM_RAM);
	map_add(map, 0x1100000, 0xff000, BOOT_MEM_RAM);
	map_add(map, 0x2000000, 0x100000, BOOT_MEM_RAM);
	map_add(map, 0x2100000, 0x100000, BOOT_MEM_RAM);
	map_add(map, 0x40000000, 0x400000, BOOT_MEM_RAM);
}

static const uint64_t small_chunks[] = { 0, 1, 2, 3, 8, 16, 512, 513 };
#define SMALL_CHUNK_COUNT (sizeof(small_chunks) / sizeof(small_chunks[0]))

static bool small_is_ram(uint64_t gpa)
{
	struct boot_memmap map;

	map_small(&map);
	return boot_memmap_covers_ram(&map, gpa & ~PAGE_MASK, PAGE_SIZE);
}

static bool small_chunk_covered(uint64_t chunk)
{
	for (size_t i = 0; i < SMALL_CHUNK_COUNT; i++) {
		if (small_chunks[i] == chunk) {
			return true;
		}
	}
	return false;
}

static bool init_small(struct page_state *ps, struct test_alloc *ta)
{
	struct boot_memmap map;
	struct page_state_callbacks cb = test_cb(ta);

	memset(ta, 0, sizeof(*ta));
	map_small(&map);
	return page_state_init(ps, &map, &cb) == PS_OK;
}

static uint8_t rec_at(const struct page_state *ps, uint64_t gpa)
{
	struct page_state_record r = { .bits = 0xff };

	(void)page_state_get(ps, gpa_init(gpa), &r);
	return r.bits;
}

static enum page_state_result ap(struct page_state *ps, uint64_t gpa, enum page_size size,
				 enum page_state_op op, unsigned int flags)
{
	return page_state_apply(ps, gpa_init(gpa), size, op, flags);
}

static bool ledger_ok(const struct page_state *ps)
{
	const char *why = NULL;

	if (page_state_check(ps, &why) != PS_OK) {
		ktest_print("[ktest]   page_state_check: %s\n", why != NULL ? why : "?");
		return false;
	}
	return true;
}

/* Records of every covered page of the small map, the per-record counters and leaf count. */
struct snapshot {
	uint8_t rec[SMALL_CHUNK_COUNT * 512];
	uint64_t count[PAGE_STATE_RECORD_SPACE];
	size_t leaves;
};

static void snap(const struct page_state *ps, struct snapshot *s)
{
	struct page_state_stats st;

	memset(s, 0, sizeof(*s));
	for (size_t c = 0; c < SMALL_CHUNK_COUNT; c++) {
		for (uint64_t p = 0; p < 512; p++) {
			s->rec[c * 512 + p] = rec_at(ps, (small_chunks[c] << 21) + (p << 12));
		}
	}
	for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
		s->count[r] = page_state_count(ps, (struct page_state_record){ .bits = (uint8_t)r });
	}
	page_state_stats(ps, &st);
	s->leaves = st.leaf_count;
}

static bool snap_eq(const struct snapshot *a, const struct snapshot *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- the reference model ------------------------------------------------------------------ */

static bool op_is_4k_only(enum page_state_op op)
{
	return op == PS_OP_MAKE_VMSA || op == PS_OP_UNMAKE_VMSA || op == PS_OP_MAKE_CAA ||
	       op == PS_OP_UNMAKE_CAA;
}

static bool op_takes_ignore_same(enum page_state_op op)
{
	return op == PS_OP_VALIDATE || op == PS_OP_RESCIND || op == PS_OP_MAKE_SHARED ||
	       op == PS_OP_MAKE_PRIVATE;
}

static bool op_is_init_only(enum page_state_op op)
{
	return op == PS_OP_ASSIGN_BASTION || op == PS_OP_ASSIGN_FIRMWARE;
}

static enum page_state_result owner_error(uint8_t cur, uint8_t needed_owner)
{
	uint8_t owner = cur & PAGE_STATE_OWNER_MASK;

	if (owner == needed_owner) {
		return PS_OK;
	}
	if (owner == PS_OWNER_BASTION) {
		return PS_ERR_BASTION_PAGE;
	}
	if (owner == PS_OWNER_FIRMWARE) {
		return PS_ERR_FIRMWARE_PAGE;
	}
	return PS_ERR_GUEST_PAGE;
}

/* What op does to one record, written from the rules, not from the table. */
static enum page_state_result model_record(enum page_state_op op, uint8_t cur, unsigned int flags,
					   uint8_t *next)
{
	bool v = (cur & PAGE_STATE_VALIDATED) != 0;
	bool s = (cur & PAGE_STATE_SHARED) != 0;
	bool vmsa = (cur & PAGE_STATE_VMSA) != 0;
	bool caa = (cur & PAGE_STATE_CAA) != 0;
	enum page_state_result e = PS_OK;
	uint8_t want = 0;

	switch (op) {
	case PS_OP_ASSIGN_BASTION: want = R_B; break;
	case PS_OP_ASSIGN_FIRMWARE: want = R_F; break;
	case PS_OP_RELEASE_FIRMWARE: want = R_GV; break;
	case PS_OP_VALIDATE: want = R_GV; break;
	case PS_OP_RESCIND: want = R_G; break;
	case PS_OP_MAKE_VMSA: want = R_GVMSA; break;
	case PS_OP_UNMAKE_VMSA: want = R_GV; break;
	case PS_OP_MAKE_CAA: want = R_GCAA; break;
	case PS_OP_UNMAKE_CAA: want = R_GV; break;
	case PS_OP_MAKE_SHARED: want = R_GS; break;
	case PS_OP_DEPOSIT: want = R_BD; break;
	case PS_OP_WITHDRAW: want = R_GV; break;
	default: want = R_G; break;
	}
	if ((flags & PS_F_IGNORE_SAME) != 0 && cur == want) {
		return PS_OK_UNCHANGED;
	}
	if ((cur & PAGE_STATE_OWNER_MASK) == PS_OWNER_NONE) {
		return PS_ERR_NOT_RAM;
	}
	e = owner_error(cur, op == PS_OP_RELEASE_FIRMWARE ? PS_OWNER_FIRMWARE :
			     op == PS_OP_WITHDRAW	 ? PS_OWNER_BASTION :
							   PS_OWNER_GUEST);
	if (e != PS_OK) {
		return e;
	}
	switch (op) {
	case PS_OP_RELEASE_FIRMWARE:
		break;
	case PS_OP_ASSIGN_BASTION:
	case PS_OP_ASSIGN_FIRMWARE:
	case PS_OP_VALIDATE:
		/* A plain unvalidated private guest page. */
		e = vmsa ? PS_ERR_IN_USE_VMSA : caa ? PS_ERR_IN_USE_CAA : s ? PS_ERR_SHARED :
		    v ? PS_ERR_ALREADY_VALIDATED : PS_OK;
		break;
	case PS_OP_RESCIND:
	case PS_OP_MAKE_VMSA:
	case PS_OP_MAKE_CAA:
	case PS_OP_DEPOSIT:
		/* A plain validated private guest page. */
		e = vmsa ? PS_ERR_IN_USE_VMSA : caa ? PS_ERR_IN_USE_CAA : s ? PS_ERR_SHARED :
		    !v ? PS_ERR_NOT_VALIDATED : PS_OK;
		break;
	case PS_OP_UNMAKE_VMSA:
		e = !vmsa ? PS_ERR_NOT_VMSA : PS_OK;
		break;
	case PS_OP_WITHDRAW:
		/* Deposited memory only: Bastion's own region has no validated flag. */
		e = !v ? PS_ERR_NOT_VALIDATED : PS_OK;
		break;
	case PS_OP_UNMAKE_CAA:
		e = vmsa ? PS_ERR_IN_USE_VMSA : !caa ? PS_ERR_NOT_CAA : PS_OK;
		break;
	case PS_OP_MAKE_SHARED:
		/* Private, validated or not, not in use. */
		e = vmsa ? PS_ERR_IN_USE_VMSA : caa ? PS_ERR_IN_USE_CAA : s ? PS_ERR_SHARED : PS_OK;
		break;
	default:
		e = vmsa ? PS_ERR_IN_USE_VMSA : caa ? PS_ERR_IN_USE_CAA : !s ? PS_ERR_NOT_SHARED : PS_OK;
		break;
	}
	if (e == PS_OK) {
		*next = want;
	}
	return e;
}

/* The model ledger: one byte per page of the small map's extent. */
static uint8_t model[SMALL_EXTENT_PAGES];
static bool model_sealed;

static void model_reset(void)
{
	for (uint64_t p = 0; p < SMALL_EXTENT_PAGES; p++) {
		model[p] = small_is_ram(p << 12) ? R_G : R_NONE;
	}
	model_sealed = false;
}

static uint8_t model_get(uint64_t gpa)
{
	uint64_t p = gpa >> 12;

	return p < SMALL_EXTENT_PAGES ? model[p] : R_NONE;
}

static bool model_chunk_uniform(uint64_t chunk)
{
	for (uint64_t p = 1; p < 512; p++) {
		if (model[chunk * 512 + p] != model[chunk * 512]) {
			return false;
		}
	}
	return true;
}

/*
 * The checks page_state_apply() makes before it looks at a record, in the order of the
 * header's contract. covered: the chunk holds at least one RAM page.
 */
static enum page_state_result model_precheck(uint64_t gpa, enum page_size size,
					     enum page_state_op op, unsigned int flags, bool sealed,
					     bool covered)
{
	if ((unsigned int)op >= PS_OP_COUNT || (flags & ~3u) != 0 ||
	    (size != PAGE_SIZE_4K && size != PAGE_SIZE_2M) ||
	    ((flags & PS_F_IGNORE_SAME) != 0 && !op_takes_ignore_same(op))) {
		return PS_ERR_INVALID_ARG;
	}
	if (size == PAGE_SIZE_2M && op_is_4k_only(op)) {
		return PS_ERR_BAD_SIZE;
	}
	if (sealed && op_is_init_only(op)) {
		return PS_ERR_SEALED;
	}
	if ((gpa & (size == PAGE_SIZE_2M ? HUGE_PAGE_MASK : PAGE_MASK)) != 0) {
		return PS_ERR_MISALIGNED;
	}
	if (!covered) {
		return PS_ERR_NOT_RAM;
	}
	return PS_OK;
}

/*
 * The expected result of page_state_apply(gpa, size, op, flags) on the model ledger. Updates
 * the model only if commit (and the result is a change).
 */
static enum page_state_result model_apply(uint64_t gpa, enum page_size size,
					  enum page_state_op op, unsigned int flags, bool commit)
{
	uint64_t chunk = gpa >> 21;
	uint8_t next = 0;
	enum page_state_result e = model_precheck(gpa, size, op, flags, model_sealed,
						  small_chunk_covered(chunk));

	if (e != PS_OK) {
		return e;
	}
	if (size == PAGE_SIZE_2M && !model_chunk_uniform(chunk)) {
		return PS_ERR_SIZE_MISMATCH;
	}
	e = model_record(op, model_get(gpa), flags, &next);
	if (e == PS_OK && (flags & PS_F_CHECK_ONLY) == 0 && commit) {
		if (size == PAGE_SIZE_2M) {
			memset(&model[chunk * 512], next, 512);
		} else {
			model[gpa >> 12] = next;
		}
	}
	return e;
}

/* Drives the page at gpa (guest, unvalidated, private) to record target with 4 KiB ops. */
static bool drive_page(struct page_state *ps, uint64_t gpa, uint8_t target)
{
	bool ok = true;

	switch (target) {
	case R_G:
		break;
	case R_B:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_ASSIGN_BASTION, 0) == PS_OK;
		break;
	case R_F:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_ASSIGN_FIRMWARE, 0) == PS_OK;
		break;
	case R_GS:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0) == PS_OK;
		break;
	case R_GV:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) == PS_OK;
		break;
	case R_GVMSA:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) == PS_OK &&
		     ap(ps, gpa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0) == PS_OK;
		break;
	case R_GCAA:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) == PS_OK &&
		     ap(ps, gpa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0) == PS_OK;
		break;
	case R_BD:
		ok = ap(ps, gpa, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) == PS_OK &&
		     ap(ps, gpa, PAGE_SIZE_4K, PS_OP_DEPOSIT, 0) == PS_OK;
		break;
	default:
		ok = false;
		break;
	}
	return ok && rec_at(ps, gpa) == target;
}

/* Drives the whole 2 MiB chunk at base to a uniform target (2 MiB ops where they exist). */
static bool drive_chunk(struct page_state *ps, uint64_t base, uint8_t target)
{
	enum page_state_op op2m = PS_OP_COUNT;

	switch (target) {
	case R_G: return true;
	case R_B: op2m = PS_OP_ASSIGN_BASTION; break;
	case R_F: op2m = PS_OP_ASSIGN_FIRMWARE; break;
	case R_GS: op2m = PS_OP_MAKE_SHARED; break;
	default: op2m = PS_OP_VALIDATE; break;
	}
	if (ap(ps, base, PAGE_SIZE_2M, op2m, 0) != PS_OK) {
		return false;
	}
	if (target == R_BD && ap(ps, base, PAGE_SIZE_2M, PS_OP_DEPOSIT, 0) != PS_OK) {
		return false;
	}
	if (target == R_GVMSA || target == R_GCAA) {
		for (uint64_t p = 0; p < 512; p++) {
			if (ap(ps, base + (p << 12), PAGE_SIZE_4K,
			       target == R_GVMSA ? PS_OP_MAKE_VMSA : PS_OP_MAKE_CAA, 0) != PS_OK) {
				return false;
			}
		}
		(void)page_state_compact(ps);
	}
	return rec_at(ps, base) == target && rec_at(ps, base + 511 * PAGE_SIZE) == target &&
	       page_state_count(ps, (struct page_state_record){ .bits = target }) >= 512;
}

/* ---- tests ----------------------------------------------------------------------------------- */

KTEST(page_state, record_encoding_and_names)
{
	struct page_state_record r = page_state_record_make(PS_OWNER_GUEST,
							    PAGE_STATE_VALIDATED | PAGE_STATE_CAA);

	EXPECT_EQ(sizeof(struct page_state_record), 1);
	EXPECT_EQ(r.bits, 0x25);
	EXPECT_EQ(page_state_record_owner(r), PS_OWNER_GUEST);
	EXPECT_TRUE(page_state_record_validated(r));
	EXPECT_FALSE(page_state_record_shared(r));
	EXPECT_FALSE(page_state_record_vmsa(r));
	EXPECT_TRUE(page_state_record_caa(r));
	EXPECT_TRUE(page_state_record_eq(r, (struct page_state_record){ .bits = R_GCAA }));
	/* The owner argument cannot leak into the flag bits. */
	EXPECT_EQ(page_state_record_make((enum page_state_owner)7, 0).bits, 3);

	for (int a = 0; a < PS_RESULT_COUNT; a++) {
		EXPECT_FALSE(strcmp(page_state_result_name((enum page_state_result)a), "?") == 0);
		for (int b = 0; b < a; b++) {
			EXPECT_FALSE(strcmp(page_state_result_name((enum page_state_result)a),
					    page_state_result_name((enum page_state_result)b)) == 0);
		}
	}
	EXPECT_STREQ(page_state_result_name(PS_RESULT_COUNT), "?");
	EXPECT_STREQ(page_state_result_name((enum page_state_result)-1), "?");
	EXPECT_STREQ(page_state_result_name(PS_ERR_SIZE_MISMATCH), "SIZE_MISMATCH");
	for (int op = 0; op < PS_OP_COUNT; op++) {
		EXPECT_FALSE(strcmp(page_state_op_name((enum page_state_op)op), "?") == 0);
	}
	EXPECT_STREQ(page_state_op_name(PS_OP_VALIDATE), "VALIDATE");
	EXPECT_STREQ(page_state_op_name(PS_OP_COUNT), "?");
	EXPECT_STREQ(page_state_owner_name(PS_OWNER_BASTION), "bastion");
	EXPECT_STREQ(page_state_owner_name((enum page_state_owner)4), "?");
	EXPECT_TRUE(page_state_result_ok(PS_OK_UNCHANGED));
	EXPECT_FALSE(page_state_result_ok(PS_ERR_NOT_RAM));
}

KTEST(page_state, init_rejects_bad_maps)
{
	struct page_state ps;
	struct test_alloc ta;
	struct boot_memmap map;
	struct page_state_callbacks cb = test_cb(&ta);
	struct page_state_callbacks no_free = { .alloc = test_alloc_fn, .free = NULL, .ctx = &ta };

	memset(&ta, 0, sizeof(ta));
	memset(&map, 0, sizeof(map));
	EXPECT_EQ(page_state_init(NULL, &map, &cb), PS_ERR_INVALID_ARG);
	EXPECT_EQ(page_state_init(&ps, NULL, &cb), PS_ERR_INVALID_ARG);
	EXPECT_EQ(page_state_init(&ps, &map, NULL), PS_ERR_INVALID_ARG);
	map_add(&map, 0, 2 * MIB, BOOT_MEM_RAM);
	EXPECT_EQ(page_state_init(&ps, &map, &no_free), PS_ERR_INVALID_ARG);
	map.count = BOOT_MEMMAP_MAX_ENTRIES + 1;
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_INVALID_ARG);

	map.count = 0;
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_BAD_MEMMAP); /* empty */
	map_add(&map, 0, 2 * MIB, BOOT_MEM_PLATFORM_RESERVED);
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_BAD_MEMMAP); /* no RAM */

	static const struct {
		uint64_t base0, size0, base1, size1;
	} bad[] = {
		{ 0x800, 0x1000, 0, 0 },                    /* unaligned base */
		{ 0, 0x1800, 0, 0 },                        /* unaligned size */
		{ 0, 0, 0, 0 },                             /* empty range */
		{ 4 * MIB, 2 * MIB, 0, 2 * MIB },           /* out of order */
		{ 0, 4 * MIB, 2 * MIB, 4 * MIB },           /* overlapping */
		{ ~0ull - 0xfff, 0x2000, 0, 0 },            /* wraps */
		{ (1ull << 52) - 0x1000, 0x2000, 0, 0 },    /* above the 52-bit GPA limit */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&map, 0, sizeof(map));
		map_add(&map, bad[i].base0, bad[i].size0, BOOT_MEM_RAM);
		if (bad[i].size1 != 0) {
			map_add(&map, bad[i].base1, bad[i].size1, BOOT_MEM_RAM);
		}
		EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_BAD_MEMMAP);
		EXPECT_NULL(ps.top);
	}

	/* Absurd extents are refused before anything is allocated. */
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, PAGE_STATE_MAX_COVERED + 2 * MIB, BOOT_MEM_RAM);
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_TOO_LARGE);
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, PAGE_STATE_MAX_COVERED / 2, BOOT_MEM_RAM);
	map_add(&map, PAGE_STATE_MAX_COVERED, PAGE_STATE_MAX_COVERED / 2 + 0x1000, BOOT_MEM_RAM);
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_TOO_LARGE);
	EXPECT_EQ(ta.calls, 0);
	/* Exactly the limit passes the size check and reaches the (failing) allocator. */
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, PAGE_STATE_MAX_COVERED, BOOT_MEM_RAM);
	ta.fail_all = true;
	EXPECT_EQ(page_state_init(&ps, &map, &cb), PS_ERR_NO_MEMORY);
	EXPECT_EQ(ta.calls, 1);
	EXPECT_NULL(ps.top);
	page_state_destroy(&ps); /* no-op on a failed init */
	EXPECT_EQ(ta.live_count, 0);
}

KTEST(page_state, init_layout_of_a_sparse_map)
{
	struct page_state ps;
	struct test_alloc ta;
	struct page_state_stats st;

	ASSERT_TRUE(init_small(&ps, &ta));
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.chunk_count, SMALL_CHUNK_COUNT);
	EXPECT_EQ(st.segment_count, 4);
	/* Chunks 2 and 8 are partly RAM; chunk 16's leaf was collapsed at init. */
	EXPECT_EQ(st.leaf_count, 2);
	EXPECT_EQ(ta.calls, 1 + 3);
	EXPECT_EQ(st.top_bytes, 4 * 24 + 7 * 16 + SMALL_CHUNK_COUNT * PAGE_STATE_CHUNK_BYTES);
	EXPECT_EQ(ta.live_bytes, st.top_bytes + 2 * PAGE_STATE_LEAF_BYTES);
	EXPECT_EQ(st.ram_pages, SMALL_RAM_PAGES);
	EXPECT_EQ(st.guest_pages, SMALL_RAM_PAGES);
	EXPECT_EQ(st.guest_validated_pages, 0);
	EXPECT_EQ(page_state_count(&ps, (struct page_state_record){ .bits = R_NONE }),
		  SMALL_CHUNK_COUNT * 512 - SMALL_RAM_PAGES);
	EXPECT_EQ(rec_at(&ps, 0x402000), R_G);
	EXPECT_EQ(rec_at(&ps, 0x403000), R_NONE); /* platform-reserved is not RAM */
	EXPECT_EQ(rec_at(&ps, 0x1000000), R_NONE);
	EXPECT_EQ(rec_at(&ps, 0x1001000), R_G);
	EXPECT_EQ(rec_at(&ps, 0x11fe000), R_G);
	EXPECT_EQ(rec_at(&ps, 0x11ff000), R_NONE);
	EXPECT_EQ(rec_at(&ps, 0x21ff000), R_G);
	EXPECT_TRUE(ledger_ok(&ps));
	for (uint64_t p = 0; p < SMALL_EXTENT_PAGES; p += 7) {
		EXPECT_EQ(rec_at(&ps, p << 12), small_is_ram(p << 12) ? R_G : R_NONE);
	}
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
	EXPECT_EQ(ta.bad_frees, 0);
	EXPECT_NULL(ps.top);
}

/*
 * One 4 KiB case: op with flags on a page in state st, in a chunk that is already a leaf or in
 * a uniform chunk (the split path). Accepted transitions change exactly that page; refusals,
 * CHECK_ONLY and IGNORE_SAME no-ops change nothing. Returns false if a check failed.
 */
static bool case_4k(bool sealed, uint8_t st, bool uniform, enum page_state_op op,
		    unsigned int flags)
{
	struct page_state ps;
	struct test_alloc ta;
	uint64_t base = uniform ? 0x200000 : 0x000000;
	uint64_t gpa = base + 0x7000;
	uint64_t counts[PAGE_STATE_RECORD_SPACE];
	uint8_t before[512];
	uint8_t next = 0xff;
	enum page_state_result want = PS_OK;
	enum page_state_result got = PS_OK;
	bool ok = true;

	if (!init_small(&ps, &ta)) {
		return false;
	}
	if (st == R_NONE) {
		/* Not RAM inside a leaf chunk, or outside every segment. */
		gpa = uniform ? 0x800000 : 0x403000;
		base = gpa & ~HUGE_PAGE_MASK;
	} else if (uniform) {
		ok &= drive_chunk(&ps, base, st);
	} else {
		ok &= drive_page(&ps, gpa, st);
	}
	if (sealed) {
		page_state_seal(&ps);
	}
	want = model_precheck(gpa, PAGE_SIZE_4K, op, flags, sealed, st != R_NONE || !uniform);
	if (want == PS_OK) {
		want = model_record(op, st, flags, &next);
	}
	for (unsigned int p = 0; p < 512; p++) {
		before[p] = rec_at(&ps, base + p * PAGE_SIZE);
	}
	memcpy(counts, ps.page_count, sizeof(counts));
	got = ap(&ps, gpa, PAGE_SIZE_4K, op, flags);
	if (got != want) {
		ktest_print("[ktest]   %s on 0x%02x flags %u sealed %d uniform %d: got %s want %s\n",
			    page_state_op_name(op), st, flags, sealed, uniform,
			    page_state_result_name(got), page_state_result_name(want));
		ok = false;
	}
	if (want == PS_OK && (flags & PS_F_CHECK_ONLY) == 0) {
		counts[before[(gpa - base) >> 12]]--;
		counts[next]++;
		before[(gpa - base) >> 12] = next;
	}
	for (unsigned int p = 0; p < 512; p++) {
		ok &= rec_at(&ps, base + p * PAGE_SIZE) == before[p];
	}
	ok &= memcmp(counts, ps.page_count, sizeof(counts)) == 0;
	ok &= ledger_ok(&ps);
	page_state_destroy(&ps);
	return ok && ta.live_count == 0;
}

KTEST(page_state, table_exhaustive_4k)
{
	unsigned int cases = 0;

	for (int sealed = 0; sealed < 2; sealed++) {
		for (size_t si = 0; si < STATE_COUNT; si++) {
			for (int uniform = 0; uniform < 2; uniform++) {
				for (int op = 0; op < PS_OP_COUNT; op++) {
					for (size_t fi = 0; fi < FLAG_SETS; fi++) {
						EXPECT_TRUE(case_4k(sealed, all_states[si], uniform,
								    (enum page_state_op)op,
								    all_flags[fi]));
						cases++;
					}
				}
			}
		}
	}
	EXPECT_EQ(cases, 2 * STATE_COUNT * 2 * PS_OP_COUNT * FLAG_SETS);
}

/* Kinds of 2 MiB chunk beyond the uniform states: one page differs; partly RAM. */
#define KIND_MIXED STATE_COUNT
#define KIND_PARTIAL (STATE_COUNT + 1)
#define KIND_COUNT (STATE_COUNT + 2)

/*
 * One 2 MiB case: op with flags on a uniform chunk in state all_states[kind] (not RAM: a hole
 * chunk) or a mixed chunk. All or nothing, and never an allocation.
 */
static bool case_2m(bool sealed, size_t kind, enum page_state_op op, unsigned int flags)
{
	struct page_state ps;
	struct test_alloc ta;
	struct page_state_stats s;
	uint64_t base = 0x200000;
	uint8_t st = kind < STATE_COUNT ? all_states[kind] : R_G;
	uint8_t before[512];
	uint8_t next = 0xff;
	uint64_t calls = 0;
	size_t leaves = 0;
	enum page_state_result want = PS_OK;
	enum page_state_result got = PS_OK;
	bool ok = true;

	if (!init_small(&ps, &ta)) {
		return false;
	}
	if (kind == KIND_MIXED) {
		ok &= drive_page(&ps, base + 0x5000, R_GV);
	} else if (kind == KIND_PARTIAL) {
		base = 0x400000;
	} else if (st == R_NONE) {
		base = 0x800000;
	} else {
		ok &= drive_chunk(&ps, base, st);
	}
	if (sealed) {
		page_state_seal(&ps);
	}
	want = model_precheck(base, PAGE_SIZE_2M, op, flags, sealed, st != R_NONE);
	if (want == PS_OK && kind >= STATE_COUNT) {
		want = PS_ERR_SIZE_MISMATCH;
	} else if (want == PS_OK) {
		want = model_record(op, st, flags, &next);
	}
	for (unsigned int p = 0; p < 512; p++) {
		before[p] = rec_at(&ps, base + p * PAGE_SIZE);
	}
	page_state_stats(&ps, &s);
	leaves = s.leaf_count;
	calls = ta.calls;
	got = ap(&ps, base, PAGE_SIZE_2M, op, flags);
	if (got != want) {
		ktest_print("[ktest]   2M %s kind %zu flags %u sealed %d: got %s want %s\n",
			    page_state_op_name(op), kind, flags, sealed, page_state_result_name(got),
			    page_state_result_name(want));
		ok = false;
	}
	for (unsigned int p = 0; p < 512; p++) {
		ok &= rec_at(&ps, base + p * PAGE_SIZE) ==
		      (want == PS_OK && (flags & PS_F_CHECK_ONLY) == 0 ? next : before[p]);
	}
	page_state_stats(&ps, &s);
	ok &= ta.calls == calls && s.leaf_count == leaves;
	ok &= ledger_ok(&ps);
	page_state_destroy(&ps);
	return ok && ta.live_count == 0;
}

KTEST(page_state, table_exhaustive_2m)
{
	for (int sealed = 0; sealed < 2; sealed++) {
		for (size_t kind = 0; kind < KIND_COUNT; kind++) {
			for (int op = 0; op < PS_OP_COUNT; op++) {
				for (size_t fi = 0; fi < FLAG_SETS; fi++) {
					EXPECT_TRUE(case_2m(sealed, kind, (enum page_state_op)op,
							    all_flags[fi]));
				}
			}
		}
	}
}

KTEST(page_state, validating_bastion_pages_refused)
{
	struct page_state ps;
	struct test_alloc ta;
	gpa_t bad = gpa_init(0);
	unsigned int ok = 0;
	unsigned int refused = 0;

	ASSERT_TRUE(init_small(&ps, &ta));
	/* Bastion's region: one 2 MiB chunk and one page inside a guest chunk. */
	EXPECT_EQ(ap(&ps, 0x40000000, PAGE_SIZE_2M, PS_OP_ASSIGN_BASTION, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_ASSIGN_BASTION, 0), PS_OK);
	page_state_seal(&ps);
	EXPECT_EQ(ap(&ps, 0x234000, PAGE_SIZE_4K, PS_OP_ASSIGN_BASTION, 0), PS_ERR_SEALED);
	EXPECT_EQ(ap(&ps, 0x234000, PAGE_SIZE_4K, PS_OP_ASSIGN_FIRMWARE, 0), PS_ERR_SEALED);
	EXPECT_EQ(rec_at(&ps, 0x234000), R_G);

	EXPECT_EQ(ap(&ps, 0x40000000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x40000000, PAGE_SIZE_2M, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x40005000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_ERR_BASTION_PAGE);
	EXPECT_EQ(ap(&ps, 0x233000, PAGE_SIZE_4K, PS_OP_RELEASE_FIRMWARE, 0),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x230000), 0x10000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_NOT_VALIDATED);
	/* The guest's 2 MiB PVALIDATE over the chunk holding the Bastion page: SIZE_MISMATCH,
	 * then the Linux-style retry as 512 4 KiB entries validates all but that page. */
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_SIZE_MISMATCH);
	for (uint64_t p = 0; p < 512; p++) {
		enum page_state_result r = ap(&ps, 0x200000 + p * PAGE_SIZE, PAGE_SIZE_4K,
					      PS_OP_VALIDATE, 0);

		ok += r == PS_OK;
		refused += r == PS_ERR_BASTION_PAGE;
	}
	EXPECT_EQ(ok, 511);
	EXPECT_EQ(refused, 1);
	EXPECT_EQ(rec_at(&ps, 0x233000), R_B);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x200000), HUGE_PAGE_SIZE,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(gpa_get(bad), 0x233000);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, double_validation)
{
	struct page_state ps;
	struct test_alloc ta;
	struct snapshot a;
	struct snapshot b;
	uint64_t calls = 0;

	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	snap(&ps, &a);
	calls = ta.calls;
	/* Without ignore_cf: PVALIDATE's "no change" is an error. */
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_ALREADY_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_ALREADY_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x3ff000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_ALREADY_VALIDATED);
	/* With it: success, and nothing changes. */
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_OK_UNCHANGED);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_OK_UNCHANGED);
	EXPECT_EQ(ap(&ps, 0x3ff000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_OK_UNCHANGED);
	snap(&ps, &b);
	EXPECT_TRUE(snap_eq(&a, &b));
	EXPECT_EQ(ta.calls, calls); /* the uniform chunk was not split for a no-op */
	/* IGNORE_SAME is only for ops that have a PVALIDATE/PSC "no change" meaning. */
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, PS_F_IGNORE_SAME),
		  PS_ERR_INVALID_ARG);
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0x80), PS_ERR_INVALID_ARG);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, vmsa_and_caa_are_protected)
{
	struct page_state ps;
	struct test_alloc ta;
	gpa_t bad = gpa_init(0);
	struct snapshot a;
	struct snapshot b;
	const uint64_t vmsa = 0x20a000;
	const uint64_t caa = 0x20b000;

	ASSERT_TRUE(init_small(&ps, &ta));
	page_state_seal(&ps);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	/* An unvalidated page can be neither. */
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_2M, PS_OP_MAKE_VMSA, 0), PS_ERR_BAD_SIZE);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_OK);
	snap(&ps, &a);

	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_RESCIND, PS_F_IGNORE_SAME), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_IGNORE_SAME), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_PRIVATE, 0), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0), PS_ERR_IN_USE_VMSA);

	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_IN_USE_CAA);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, PS_F_IGNORE_SAME), PS_ERR_IN_USE_CAA);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_ERR_IN_USE_CAA);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_ERR_IN_USE_CAA);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_UNMAKE_VMSA, 0), PS_ERR_NOT_VMSA);
	EXPECT_EQ(ap(&ps, 0x20c000, PAGE_SIZE_4K, PS_OP_UNMAKE_VMSA, 0), PS_ERR_NOT_VMSA);
	EXPECT_EQ(ap(&ps, 0x20c000, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0), PS_ERR_NOT_CAA);
	/* The whole chunk cannot be rescinded around them. */
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_RESCIND, 0), PS_ERR_SIZE_MISMATCH);
	snap(&ps, &b);
	EXPECT_TRUE(snap_eq(&a, &b));

	/* guest_mem may use the CAA, not the VMSA. */
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(caa), PAGE_SIZE,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x200000), HUGE_PAGE_SIZE,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(gpa_get(bad), vmsa);

	/* Released, they are ordinary validated pages again. */
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_UNMAKE_VMSA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, caa, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, vmsa, PAGE_SIZE_4K, PS_OP_UNMAKE_CAA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_RESCIND, 0), PS_OK);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, rescinding_unvalidated_refused)
{
	struct page_state ps;
	struct test_alloc ta;
	struct snapshot a;
	struct snapshot b;

	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(ap(&ps, 0x601000, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0), PS_OK);
	snap(&ps, &a);
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_RESCIND, 0), PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x601000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_SHARED);
	EXPECT_EQ(ap(&ps, 0x601000, PAGE_SIZE_4K, PS_OP_RESCIND, PS_F_IGNORE_SAME), PS_ERR_SHARED);
	EXPECT_EQ(ap(&ps, 0x105000, PAGE_SIZE_4K, PS_OP_RESCIND, PS_F_IGNORE_SAME), PS_OK_UNCHANGED);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_RESCIND, PS_F_IGNORE_SAME), PS_OK_UNCHANGED);
	snap(&ps, &b);
	EXPECT_TRUE(snap_eq(&a, &b));
	/* Firmware pages are not the guest's to rescind until released. */
	EXPECT_EQ(ap(&ps, 0x300000, PAGE_SIZE_4K, PS_OP_ASSIGN_FIRMWARE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x300000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_ERR_FIRMWARE_PAGE);
	EXPECT_EQ(ap(&ps, 0x301000, PAGE_SIZE_4K, PS_OP_RELEASE_FIRMWARE, 0), PS_ERR_GUEST_PAGE);
	EXPECT_EQ(ap(&ps, 0x300000, PAGE_SIZE_4K, PS_OP_RELEASE_FIRMWARE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x300000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_OK);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, huge_ops_uniform_chunks_need_no_memory)
{
	struct page_state ps;
	struct test_alloc ta;
	struct boot_memmap map;
	struct page_state_callbacks cb = test_cb(&ta);
	struct page_state_stats st;
	uint64_t calls = 0;

	ASSERT_TRUE(init_small(&ps, &ta));
	calls = ta.calls;
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_MAKE_SHARED, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_MAKE_PRIVATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x2000000, PAGE_SIZE_2M, PS_OP_ASSIGN_FIRMWARE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x2000000, PAGE_SIZE_2M, PS_OP_RELEASE_FIRMWARE, 0), PS_OK);
	EXPECT_EQ(ta.calls, calls);
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.leaf_count, 2);
	EXPECT_EQ(st.guest_validated_pages, 512);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);

	/* A 64 GiB VM validated and rescinded in 2 MiB steps: 32768 chunks, no leaf, ever. */
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, 2 * GIB, BOOT_MEM_RAM);
	map_add(&map, 4 * GIB, 62 * GIB, BOOT_MEM_RAM);
	memset(&ta, 0, sizeof(ta));
	ASSERT_EQ(page_state_init(&ps, &map, &cb), PS_OK);
	calls = ta.calls;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < map.count; i++) {
			for (uint64_t a = map.ranges[i].base; a < map.ranges[i].base + map.ranges[i].size;
			     a += HUGE_PAGE_SIZE) {
				EXPECT_EQ(ap(&ps, a, PAGE_SIZE_2M,
					     pass == 0 ? PS_OP_VALIDATE : PS_OP_RESCIND, 0),
					  PS_OK);
			}
		}
		page_state_stats(&ps, &st);
		EXPECT_EQ(st.guest_validated_pages, pass == 0 ? 64 * GIB / PAGE_SIZE : 0);
	}
	EXPECT_EQ(ta.calls, calls);
	EXPECT_EQ(st.leaf_count, 0);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
}

KTEST(page_state, huge_ops_size_mismatch_and_fallback)
{
	struct page_state ps;
	struct test_alloc ta;
	struct snapshot a;
	struct snapshot b;
	struct page_state_stats st;
	unsigned int refused = 0;
	uint64_t calls = 0;

	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(ap(&ps, 0x7000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	snap(&ps, &a);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_SIZE_MISMATCH);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_VALIDATE, PS_F_IGNORE_SAME),
		  PS_ERR_SIZE_MISMATCH);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_RESCIND, PS_F_CHECK_ONLY), PS_ERR_SIZE_MISMATCH);
	EXPECT_EQ(ap(&ps, 0x400000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_SIZE_MISMATCH);
	EXPECT_EQ(ap(&ps, 0x1000000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_SIZE_MISMATCH);
	EXPECT_EQ(ap(&ps, 0x800000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_NOT_RAM);
	EXPECT_EQ(ap(&ps, 0x201000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_MISALIGNED);
	EXPECT_EQ(ap(&ps, 0x100800, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_MISALIGNED);
	EXPECT_EQ(ap(&ps, 0x200000, (enum page_size)2, PS_OP_VALIDATE, 0), PS_ERR_INVALID_ARG);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_4K, PS_OP_COUNT, 0), PS_ERR_INVALID_ARG);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_MAKE_CAA, 0), PS_ERR_BAD_SIZE);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_UNMAKE_VMSA, 0), PS_ERR_BAD_SIZE);
	snap(&ps, &b);
	EXPECT_TRUE(snap_eq(&a, &b));

	/* The guest's fallback: 512 4 KiB entries; then the leaf is uniform again and a 2 MiB
	 * op works on it in O(1), freeing the leaf without allocating. */
	for (uint64_t p = 0; p < 512; p++) {
		refused += ap(&ps, p * PAGE_SIZE, PAGE_SIZE_4K, PS_OP_VALIDATE, 0) ==
			   PS_ERR_ALREADY_VALIDATED;
	}
	EXPECT_EQ(refused, 1);
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.leaf_count, 3);
	calls = ta.calls;
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_VALIDATE, PS_F_IGNORE_SAME), PS_OK_UNCHANGED);
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_RESCIND, 0), PS_OK);
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.leaf_count, 2);
	EXPECT_EQ(ta.calls, calls);
	EXPECT_EQ(ta.live_bytes, st.top_bytes + 2 * PAGE_STATE_LEAF_BYTES);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, compact_collapses_uniform_leaves)
{
	struct page_state ps;
	struct test_alloc ta;
	struct snapshot a;
	struct snapshot b;
	struct page_state_stats st;

	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(ap(&ps, 0x5000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x5000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x3ff000, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x3ff000, PAGE_SIZE_4K, PS_OP_MAKE_PRIVATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x3ff000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x600000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK); /* stays mixed */
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.leaf_count, 5);
	snap(&ps, &a);
	EXPECT_EQ(page_state_compact(&ps), 2);
	snap(&ps, &b);
	EXPECT_EQ(b.leaves, 3);
	b.leaves = a.leaves;
	EXPECT_TRUE(snap_eq(&a, &b));
	EXPECT_EQ(page_state_compact(&ps), 0);
	EXPECT_EQ(ta.live_bytes, st.top_bytes + 3 * PAGE_STATE_LEAF_BYTES);
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
}

KTEST(page_state, inverse_of_a_change_never_needs_memory)
{
	struct page_state ps;
	struct test_alloc ta;
	static const struct {
		enum page_state_op op;
		enum page_state_op inverse;
	} pairs[] = {
		{ PS_OP_VALIDATE, PS_OP_RESCIND },    { PS_OP_MAKE_SHARED, PS_OP_MAKE_PRIVATE },
		{ PS_OP_VALIDATE, PS_OP_COUNT },      { PS_OP_MAKE_VMSA, PS_OP_UNMAKE_VMSA },
		{ PS_OP_MAKE_CAA, PS_OP_UNMAKE_CAA }, { PS_OP_RESCIND, PS_OP_VALIDATE },
	};

	ASSERT_TRUE(init_small(&ps, &ta));
	page_state_seal(&ps);
	/* 4 KiB: the first change of each pair may split (allocate); from then on the page's
	 * chunk has a leaf and the undo (and redo) succeed with every allocation failing. */
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ta.fail_all = false;
		EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, pairs[i].op, 0), PS_OK);
		ta.fail_all = true;
		if (pairs[i].inverse != PS_OP_COUNT) {
			EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, pairs[i].inverse, 0), PS_OK);
			EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, pairs[i].op, 0), PS_OK);
			EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, pairs[i].inverse, 0), PS_OK);
		}
	}
	EXPECT_EQ(rec_at(&ps, 0x205000), R_GV);
	/* 2 MiB: never allocates, on a uniform chunk or on a leaf whose records are equal. */
	EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, PS_OP_RESCIND, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK); /* frees the leaf */
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_RESCIND, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_MAKE_SHARED, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_MAKE_PRIVATE, 0), PS_OK);
	/* The documented exception: on a uniform chunk a 4 KiB change needs a leaf. */
	EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_NO_MEMORY);
	EXPECT_EQ(rec_at(&ps, 0x205000), R_G);
	EXPECT_EQ(ap(&ps, 0x205000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_CHECK_ONLY), PS_OK);
	EXPECT_TRUE(ledger_ok(&ps));
	ta.fail_all = false;
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
}

/* ---- randomized run against the model ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: fixed seed, reproducible everywhere. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Compares every covered page, the counters and the 2 MiB summaries with the model. */
static bool ledger_matches_model(struct page_state *ps)
{
	uint64_t counts[PAGE_STATE_RECORD_SPACE];
	bool ok = ledger_ok(ps);

	memset(counts, 0, sizeof(counts));
	for (size_t c = 0; c < SMALL_CHUNK_COUNT; c++) {
		uint64_t base = small_chunks[c] << 21;

		for (uint64_t p = 0; p < 512; p++) {
			uint8_t m = model_get(base + (p << 12));

			counts[m]++;
			if (rec_at(ps, base + (p << 12)) != m) {
				ok = false;
			}
		}
		/* The O(1) summary must agree with the records. */
		if ((ap(ps, base, PAGE_SIZE_2M, PS_OP_RESCIND, PS_F_CHECK_ONLY) ==
		     PS_ERR_SIZE_MISMATCH) == model_chunk_uniform(small_chunks[c])) {
			ok = false;
		}
	}
	for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
		if (page_state_count(ps, (struct page_state_record){ .bits = (uint8_t)r }) !=
		    counts[r]) {
			ok = false;
		}
	}
	return ok;
}

/* Drives every page of a fully-RAM chunk back towards guest-unvalidated-private (Bastion
 * pages stay), checking each step against the model, so 2 MiB ops get uniform chunks. */
static unsigned int homogenize(struct page_state *ps, uint64_t chunk)
{
	static const struct {
		uint8_t from;
		enum page_state_op op;
	} steps[] = {
		{ R_GVMSA, PS_OP_UNMAKE_VMSA }, { R_GCAA, PS_OP_UNMAKE_CAA },
		{ R_F, PS_OP_RELEASE_FIRMWARE }, { R_BD, PS_OP_WITHDRAW }, { R_GV, PS_OP_RESCIND },
		{ R_GS, PS_OP_MAKE_PRIVATE },
	};
	unsigned int mismatches = 0;

	for (uint64_t p = 0; p < 512; p++) {
		uint64_t gpa = (chunk << 21) + (p << 12);

		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			if (model_get(gpa) == steps[s].from) {
				enum page_state_result want = model_apply(gpa, PAGE_SIZE_4K,
									  steps[s].op, 0, true);

				mismatches += ap(ps, gpa, PAGE_SIZE_4K, steps[s].op, 0) != want;
			}
		}
	}
	return mismatches;
}

KTEST(page_state, randomized_against_model)
{
	static const uint64_t full_chunks[] = { 0, 1, 3, 16, 512, 513 };
	static const uint64_t hole_chunks[] = { 4, 7, 9, 511, 514, 0x7ffffffffull };
	struct page_state ps;
	struct test_alloc ta;
	unsigned int mismatches = 0;
	unsigned int bad_batches = 0;
	uint64_t ok_4k[PS_OP_COUNT];
	uint64_t ok_2m = 0;
	uint64_t mixed_2m = 0;
	uint64_t unchanged = 0;

	memset(ok_4k, 0, sizeof(ok_4k));
	ASSERT_TRUE(init_small(&ps, &ta));
	model_reset();
	rng_state = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < 200000; i++) {
		enum page_state_op op = (enum page_state_op)(rng() % PS_OP_COUNT);
		/* Phases of 5000 ops: mostly 4 KiB, then half 2 MiB on homogenized chunks. */
		bool huge_phase = (i / 5000) % 2 == 1;
		enum page_size size = rng() % (huge_phase ? 2 : 20) == 0 ? PAGE_SIZE_2M
									  : PAGE_SIZE_4K;
		uint64_t pick = rng() % (SMALL_CHUNK_COUNT + 1);
		uint64_t chunk = pick < SMALL_CHUNK_COUNT ? small_chunks[pick]
							  : hole_chunks[rng() % 6];
		/* A hot window of 8 pages per chunk, moving every 20000 ops. */
		uint64_t page = rng() % 2 == 0 ? ((i / 20000) * 8 + rng() % 8) % 512 : rng() % 512;
		uint64_t gpa = (chunk << 21) + (size == PAGE_SIZE_4K ? page << 12 : 0);
		unsigned int flags = 0;
		enum page_state_result want = PS_OK;
		enum page_state_result got = PS_OK;

		if (i == 2000) {
			page_state_seal(&ps);
			model_sealed = true;
		}
		if (op == PS_OP_ASSIGN_BASTION && rng() % 8 != 0) {
			/* Bastion pages never come back: keep them rare. */
			op = PS_OP_VALIDATE;
		}
		flags |= rng() % 4 == 0 ? PS_F_IGNORE_SAME : 0;
		flags |= rng() % 10 == 0 ? PS_F_CHECK_ONLY : 0;
		if (rng() % 500 == 0) {
			gpa += size == PAGE_SIZE_4K ? 0x800 : 0x1000;
		}
		if (rng() % 1000 == 0) {
			op = (enum page_state_op)(PS_OP_COUNT + rng() % 3);
		}
		if (rng() % 1000 == 0) {
			flags |= 0x10;
		}
		want = model_apply(gpa, size, op, flags, true);
		got = ap(&ps, gpa, size, op, flags);
		if (got != want) {
			if (mismatches++ < 5) {
				ktest_print("[ktest]   op %d (%s) size %d gpa 0x%llx flags %u: got %s,"
					    " model %s\n",
					    (int)op, page_state_op_name(op), (int)size,
					    (unsigned long long)gpa, flags, page_state_result_name(got),
					    page_state_result_name(want));
			}
		}
		if (got == PS_OK && (flags & PS_F_CHECK_ONLY) == 0) {
			if (size == PAGE_SIZE_4K) {
				ok_4k[op]++;
			} else {
				ok_2m++;
			}
		}
		mixed_2m += got == PS_ERR_SIZE_MISMATCH;
		unchanged += got == PS_OK_UNCHANGED;
		if (i % (huge_phase ? 250 : 2000) == 0) {
			mismatches += homogenize(&ps, full_chunks[rng() % 6]);
		}
		if (i % 10000 == 9999) {
			(void)page_state_compact(&ps);
		}
		if (i % 1000 == 999 && !ledger_matches_model(&ps)) {
			if (bad_batches++ < 3) {
				ktest_print("[ktest]   ledger differs from the model after op %u\n", i);
			}
		}
	}
	EXPECT_EQ(mismatches, 0);
	EXPECT_EQ(bad_batches, 0);
	/* The run reached every transition, 2 MiB successes and the other outcomes. */
	for (int op = 0; op < PS_OP_COUNT; op++) {
		EXPECT_GT(ok_4k[op], 0);
	}
	EXPECT_GT(ok_2m, 100);
	EXPECT_GT(mixed_2m, 100);
	EXPECT_GT(unchanged, 100);
	EXPECT_TRUE(ledger_matches_model(&ps));
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
	EXPECT_EQ(ta.bad_frees, 0);
}

/* ---- allocation failure in every split -------------------------------------------------- */

#define WL_SEAL PS_OP_COUNT

struct wl_op {
	uint64_t gpa;
	enum page_size size;
	enum page_state_op op;
	unsigned int flags;
};

static const struct wl_op workload_head[] = {
	{ 0x40000000, PAGE_SIZE_2M, PS_OP_ASSIGN_BASTION, 0 },
	{ 0x100000, PAGE_SIZE_4K, PS_OP_ASSIGN_FIRMWARE, 0 },  /* split chunk 0 */
	{ 0x101000, PAGE_SIZE_4K, PS_OP_ASSIGN_FIRMWARE, 0 },
	{ 0x2010000, PAGE_SIZE_4K, PS_OP_ASSIGN_BASTION, 0 }, /* split chunk 16 */
	{ 0, PAGE_SIZE_4K, WL_SEAL, 0 },
	{ 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0 },
	{ 0x200000, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0 },        /* split chunk 1 */
	{ 0x201000, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0 },
	{ 0x600000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_CHECK_ONLY },
	{ 0x600000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0 },         /* split chunk 3 */
	{ 0x600000, PAGE_SIZE_4K, PS_OP_RESCIND, 0 },
	{ 0x600000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0 },         /* collapses chunk 3 */
	{ 0x601000, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, 0 },      /* splits it again */
	{ 0x601000, PAGE_SIZE_4K, PS_OP_MAKE_SHARED, PS_F_IGNORE_SAME },
	{ 0x600000, PAGE_SIZE_2M, PS_OP_RESCIND, 0 },          /* size mismatch */
	{ 0x40200000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0 },       /* split chunk 513 */
	{ 0x1001000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0 },        /* chunk 8 is a leaf */
	{ 0x100000, PAGE_SIZE_4K, PS_OP_RELEASE_FIRMWARE, 0 },
	{ 0x601000, PAGE_SIZE_4K, PS_OP_MAKE_PRIVATE, 0 },
	{ 0x600000, PAGE_SIZE_4K, PS_OP_RESCIND, 0 },
};

/*
 * Runs init and the workload (the fixed head, then a pseudo-random tail) with the fail_at-th
 * allocation failing. Every PS_ERR_NO_MEMORY must leave the ledger exactly as before.
 * Returns the number of allocation calls, or 0 if a check failed.
 */
static uint64_t run_workload(uint64_t fail_at, unsigned int *no_memory)
{
	struct page_state ps;
	struct test_alloc ta;
	struct boot_memmap map;
	struct page_state_callbacks cb = test_cb(&ta);
	static struct snapshot before;
	static struct snapshot after;
	size_t head = sizeof(workload_head) / sizeof(workload_head[0]);
	enum page_state_result r = PS_OK;
	bool ok = true;

	memset(&ta, 0, sizeof(ta));
	ta.fail_at = fail_at;
	map_small(&map);
	r = page_state_init(&ps, &map, &cb);
	if (r != PS_OK) {
		EXPECT_EQ(r, PS_ERR_NO_MEMORY);
		EXPECT_EQ(ta.live_count, 0);
		EXPECT_NULL(ps.top);
		(*no_memory)++;
		return ta.live_count == 0 ? ta.calls : 0;
	}
	model_reset();
	rng_state = 0x1234567887654321ull;
	for (size_t i = 0; i < head + 120; i++) {
		struct wl_op w = i < head ? workload_head[i]
					  : (struct wl_op){
						    .gpa = (small_chunks[rng() % SMALL_CHUNK_COUNT]
							    << 21) + ((rng() % 16) << 12),
						    .size = PAGE_SIZE_4K,
						    .op = (enum page_state_op)(PS_OP_RELEASE_FIRMWARE +
									       rng() % 8),
					    };
		enum page_state_result want = PS_OK;

		if (w.op == WL_SEAL) {
			page_state_seal(&ps);
			model_sealed = true;
			continue;
		}
		if (i >= head && rng() % 8 == 0) {
			w.size = PAGE_SIZE_2M;
			w.gpa &= ~HUGE_PAGE_MASK;
		}
		want = model_apply(w.gpa, w.size, w.op, w.flags, false);
		snap(&ps, &before);
		r = ap(&ps, w.gpa, w.size, w.op, w.flags);
		if (r == PS_ERR_NO_MEMORY) {
			snap(&ps, &after);
			ok &= want == PS_OK && w.size == PAGE_SIZE_4K;
			ok &= snap_eq(&before, &after);
			(*no_memory)++;
		} else {
			ok &= r == want;
			(void)model_apply(w.gpa, w.size, w.op, w.flags, true);
		}
		ok &= ledger_ok(&ps);
	}
	ok &= ledger_matches_model(&ps);
	page_state_destroy(&ps);
	ok &= ta.live_count == 0 && ta.live_bytes == 0 && ta.bad_frees == 0;
	EXPECT_TRUE(ok);
	return ok ? ta.calls : 0;
}

KTEST(page_state, allocation_failure_in_every_split)
{
	unsigned int no_memory = 0;
	uint64_t total = run_workload(0, &no_memory);

	ASSERT_GE(total, 10);
	EXPECT_EQ(no_memory, 0);
	/* Fail allocation N for every N the clean run made (init's included), and one more. */
	for (uint64_t n = 1; n <= total + 1; n++) {
		unsigned int before = no_memory;

		EXPECT_NE(run_workload(n, &no_memory), 0);
		/* Allocation N failing is seen exactly once (init or one split), except past the
		 * end of the clean run. */
		EXPECT_EQ(no_memory - before, n <= total ? 1u : 0u);
	}
}

/* ---- cost ---------------------------------------------------------------------------------- */

KTEST(page_state, hole_between_ranges_costs_nothing)
{
	struct page_state a;
	struct page_state b;
	struct test_alloc ta;
	struct test_alloc tb;
	struct boot_memmap map;
	struct page_state_callbacks cba = test_cb(&ta);
	struct page_state_callbacks cbb = test_cb(&tb);
	struct page_state_stats sa;
	struct page_state_stats sb;
	gpa_t bad = gpa_init(0);

	memset(&ta, 0, sizeof(ta));
	memset(&tb, 0, sizeof(tb));
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, 2 * GIB, BOOT_MEM_RAM);
	map_add(&map, 4 * GIB, 2 * GIB, BOOT_MEM_RAM);
	ASSERT_EQ(page_state_init(&a, &map, &cba), PS_OK);
	map.ranges[1].base = 64 * GIB; /* a 62 GiB hole instead of 2 GiB */
	ASSERT_EQ(page_state_init(&b, &map, &cbb), PS_OK);
	page_state_stats(&a, &sa);
	page_state_stats(&b, &sb);
	EXPECT_EQ(sa.chunk_count, 2048);
	EXPECT_EQ(sa.top_bytes, 2 * 24 + 2 * 16 + 2048 * PAGE_STATE_CHUNK_BYTES);
	EXPECT_EQ(sb.top_bytes, sa.top_bytes);
	EXPECT_EQ(ta.calls, 1);
	EXPECT_EQ(tb.calls, 1);
	EXPECT_EQ(sa.leaf_count, 0);
	EXPECT_EQ(ta.live_bytes, sa.top_bytes);
	EXPECT_EQ(rec_at(&a, 3 * GIB), R_NONE);
	EXPECT_EQ(rec_at(&a, 4 * GIB), R_G);
	EXPECT_EQ(ap(&a, 3 * GIB, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_NOT_RAM);
	EXPECT_EQ(ap(&a, 2 * GIB, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_NOT_RAM);
	EXPECT_EQ(ap(&a, 6 * GIB, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_NOT_RAM);
	EXPECT_EQ(ap(&a, 6 * GIB - PAGE_SIZE, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&a, 0, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&a, gpa_init(2 * GIB - 0x1000), 0x2000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(gpa_get(bad), 2 * GIB - 0x1000);
	EXPECT_EQ(ap(&a, 2 * GIB - 0x1000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&a, gpa_init(2 * GIB - 0x1000), 0x2000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_NOT_RAM);
	EXPECT_EQ(gpa_get(bad), 2 * GIB);
	EXPECT_TRUE(ledger_ok(&a));
	EXPECT_TRUE(ledger_ok(&b));
	page_state_destroy(&a);
	page_state_destroy(&b);
	EXPECT_EQ(ta.live_count + tb.live_count, 0);
}

KTEST(page_state, memory_numbers)
{
	struct page_state ps;
	struct test_alloc ta;
	struct boot_memmap map;
	struct page_state_callbacks cb = test_cb(&ta);
	struct page_state_stats st;

	/* 512 MiB VM, one RAM range. */
	memset(&ta, 0, sizeof(ta));
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, 512 * MIB, BOOT_MEM_RAM);
	ASSERT_EQ(page_state_init(&ps, &map, &cb), PS_OK);
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.chunk_count, 256);
	EXPECT_EQ(st.top_bytes, 2600);
	EXPECT_EQ(st.leaf_bytes, 0);
	/* Worst case: every chunk mixed. */
	for (uint64_t c = 0; c < 256; c++) {
		EXPECT_EQ(ap(&ps, c * HUGE_PAGE_SIZE, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	}
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.leaf_bytes, 256 * 512);
	EXPECT_EQ(ta.live_bytes, 2600 + 131072);
	ktest_print("[ktest]   512 MiB: top %zu B, all mixed +%zu B, struct %zu B\n", st.top_bytes,
		    st.leaf_bytes, st.struct_bytes);
	page_state_destroy(&ps);

	/* 64 GiB VM laid out like q35: [0, 2 GiB) and [4 GiB, 66 GiB). */
	memset(&ta, 0, sizeof(ta));
	memset(&map, 0, sizeof(map));
	map_add(&map, 0, 2 * GIB, BOOT_MEM_RAM);
	map_add(&map, 4 * GIB, 62 * GIB, BOOT_MEM_RAM);
	ASSERT_EQ(page_state_init(&ps, &map, &cb), PS_OK);
	page_state_stats(&ps, &st);
	EXPECT_EQ(st.chunk_count, 32768);
	EXPECT_EQ(st.top_bytes, 327760);
	EXPECT_EQ(st.ram_pages, 64 * GIB / PAGE_SIZE);
	ktest_print("[ktest]   64 GiB: top %zu B, all mixed would add %llu B\n", st.top_bytes,
		    (unsigned long long)st.chunk_count * PAGE_STATE_LEAF_BYTES);
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
}

/* ---- edges ----------------------------------------------------------------------------------- */

KTEST(page_state, not_ram_and_top_of_address_space_refused)
{
	struct page_state ps;
	struct test_alloc ta;
	struct snapshot a;
	struct snapshot b;
	struct page_state_record r = { .bits = 0x55 };
	gpa_t bad = gpa_init(0x1234);
	static const uint64_t not_ram[] = {
		0x403000, 0x5ff000, 0x800000, 0x1000000, 0x11ff000, 0x40400000,
		1ull << 52, 0xfffffffffff00000ull, 0xfffffffffffff000ull,
	};

	ASSERT_TRUE(init_small(&ps, &ta));
	snap(&ps, &a);
	for (size_t i = 0; i < sizeof(not_ram) / sizeof(not_ram[0]); i++) {
		for (int op = 0; op < PS_OP_COUNT; op++) {
			EXPECT_EQ(ap(&ps, not_ram[i], PAGE_SIZE_4K, (enum page_state_op)op, 0),
				  PS_ERR_NOT_RAM);
		}
		r.bits = 0x55;
		EXPECT_EQ(page_state_get(&ps, gpa_init(not_ram[i]), &r), PS_ERR_NOT_RAM);
		EXPECT_EQ(r.bits, R_NONE);
	}
	EXPECT_EQ(ap(&ps, 0xffffffffffe00000ull, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_ERR_NOT_RAM);
	EXPECT_EQ(ap(&ps, 0xfffffffffffff800ull, PAGE_SIZE_4K, PS_OP_VALIDATE, 0),
		  PS_ERR_MISALIGNED);
	EXPECT_EQ(page_state_get(&ps, gpa_init(~0ull), &r), PS_ERR_NOT_RAM);
	EXPECT_EQ(page_state_get(&ps, gpa_init(0x402fff), &r), PS_OK); /* any byte address */
	EXPECT_EQ(r.bits, R_G);
	/* Ranges that wrap are refused before anything is looked up. */
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0xfffffffffffff000ull), 0x2000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_OVERFLOW);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x1000), ~0ull, PAGE_STATE_MATCH_GUEST_PRIVATE,
				       &bad),
		  PS_ERR_OVERFLOW);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0xfffffffffffff000ull), 0x1000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_OVERFLOW); /* its end, 2^64, is not representable */
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0xffffffffffffe000ull), 0x1000,
				       PAGE_STATE_MATCH_GUEST_PRIVATE, &bad),
		  PS_ERR_NOT_RAM);
	EXPECT_EQ(gpa_get(bad), 0xffffffffffffe000ull);
	snap(&ps, &b);
	EXPECT_TRUE(snap_eq(&a, &b));
	EXPECT_TRUE(ledger_ok(&ps));
	page_state_destroy(&ps);
}

KTEST(page_state, range_queries)
{
	struct page_state ps;
	struct test_alloc ta;
	gpa_t bad = gpa_init(0);
	const struct page_state_match priv = PAGE_STATE_MATCH_GUEST_PRIVATE;
	const struct page_state_match shared = PAGE_STATE_MATCH_GUEST_SHARED;

	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(ap(&ps, 0x0, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0), 4 * MIB, priv, &bad), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x1ff800), 0x1000, priv, &bad), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0), 4 * MIB + 1, priv, &bad),
		  PS_ERR_NOT_VALIDATED);
	EXPECT_EQ(gpa_get(bad), 0x400000);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x800000), 0, priv, &bad), PS_OK); /* empty */
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x800000), 1, priv, &bad), PS_ERR_NOT_RAM);

	EXPECT_EQ(ap(&ps, 0x210000, PAGE_SIZE_4K, PS_OP_MAKE_VMSA, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x211000, PAGE_SIZE_4K, PS_OP_MAKE_CAA, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0), 4 * MIB, priv, &bad), PS_ERR_IN_USE_VMSA);
	EXPECT_EQ(gpa_get(bad), 0x210000);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x211000), 0x1000, priv, NULL), PS_OK);

	/* Chunk 2: three RAM pages, then platform-reserved. */
	for (uint64_t p = 0; p < 3; p++) {
		EXPECT_EQ(ap(&ps, 0x400000 + p * PAGE_SIZE, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	}
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x400000), 0x3000, priv, &bad), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x402000), 0x2000, priv, &bad), PS_ERR_NOT_RAM);
	EXPECT_EQ(gpa_get(bad), 0x403000);

	/* Shared memory matches one predicate and not the other. */
	EXPECT_EQ(ap(&ps, 0x600000, PAGE_SIZE_2M, PS_OP_MAKE_SHARED, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x600000), 2 * MIB, shared, &bad), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x600000), 2 * MIB, priv, &bad), PS_ERR_SHARED);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x5ff000), 0x2000, shared, &bad),
		  PS_ERR_NOT_RAM);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x1ff000), 0x1000, shared, &bad),
		  PS_ERR_NOT_SHARED);

	/* Bastion and firmware pages are never guest memory. */
	EXPECT_EQ(ap(&ps, 0x40000000, PAGE_SIZE_2M, PS_OP_ASSIGN_BASTION, 0), PS_OK);
	EXPECT_EQ(ap(&ps, 0x40200000, PAGE_SIZE_2M, PS_OP_ASSIGN_FIRMWARE, 0), PS_OK);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x40000000), 1, priv, &bad),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(page_state_range_all(&ps, gpa_init(0x40200000), 1, priv, &bad),
		  PS_ERR_FIRMWARE_PAGE);
	page_state_destroy(&ps);
}

KTEST(page_state, check_detects_corruption)
{
	struct page_state ps;
	struct page_state zero;
	struct test_alloc ta;
	const char *why = NULL;
	uint8_t *leaf = NULL;
	uint64_t saved = 0;

	memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(page_state_check(NULL, &why), PS_ERR_CORRUPT);
	EXPECT_EQ(page_state_check(&zero, &why), PS_ERR_CORRUPT);
	EXPECT_NOT_NULL(why);
	ASSERT_TRUE(init_small(&ps, &ta));
	EXPECT_EQ(page_state_check(&ps, &why), PS_OK);
	EXPECT_NULL(why);

	/* Entry index 2 is chunk 2 (a leaf), index 0 chunk 0 (uniform). White-box: the
	 * encoding is documented at the top of mm/page_state.c. */
	ASSERT_EQ(ps.entry[2] & 1, 0);
	leaf = (uint8_t *)(uintptr_t)ps.entry[2];

	leaf[1] = 0x3f; /* VMSA and CAA and shared at once */
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	leaf[1] = R_G;
	leaf[5] = R_G; /* a platform-reserved page claimed as RAM */
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	leaf[5] = R_NONE;
	ps.diff[2]++;
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.diff[2]--;
	ps.page_count[R_G]++;
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.page_count[R_G]--;
	ps.leaf_count++;
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.leaf_count--;
	saved = ps.entry[0];
	ps.entry[0] = ((uint64_t)R_NONE << 8) | 1; /* RAM chunk claimed not RAM */
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.entry[0] = ((uint64_t)(PS_OWNER_BASTION | PAGE_STATE_SHARED) << 8) | 1;
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.entry[0] = ((uint64_t)R_GV << 8) | 1; /* legal record, counters disagree */
	EXPECT_EQ(page_state_check(&ps, &why), PS_ERR_CORRUPT);
	ps.entry[0] = saved;
	EXPECT_EQ(page_state_check(&ps, &why), PS_OK);

#ifdef CONFIG_DEBUG
	/* Debug builds check the touched chunk after every change. */
	ps.diff[2] += 7;
	EXPECT_PANIC(ap(&ps, 0x400000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0));
	EXPECT_NOT_NULL(strstr(host_panic_message, "summary"));
#endif
	page_state_destroy(&ps);
	EXPECT_EQ(ta.live_count, 0);
}

/* page_state_changes() moves with every applied change and with nothing else. */
KTEST(page_state, change_counter)
{
	struct page_state ps;
	struct test_alloc ta;
	uint64_t c0;

	ASSERT_TRUE(init_small(&ps, &ta));
	c0 = page_state_changes(&ps);
	EXPECT_EQ(ap(&ps, 0x1000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(page_state_changes(&ps), c0 + 1);
	EXPECT_EQ(ap(&ps, 0x1000, PAGE_SIZE_4K, PS_OP_VALIDATE, 0), PS_ERR_ALREADY_VALIDATED);
	EXPECT_EQ(ap(&ps, 0x1000, PAGE_SIZE_4K, PS_OP_VALIDATE, PS_F_IGNORE_SAME), PS_OK_UNCHANGED);
	EXPECT_EQ(ap(&ps, 0x1000, PAGE_SIZE_4K, PS_OP_RESCIND, PS_F_CHECK_ONLY), PS_OK);
	EXPECT_EQ(page_state_changes(&ps), c0 + 1);
	EXPECT_EQ(ap(&ps, 0x200000, PAGE_SIZE_2M, PS_OP_VALIDATE, 0), PS_OK);
	EXPECT_EQ(page_state_changes(&ps), c0 + 2);
	page_state_destroy(&ps);
}
