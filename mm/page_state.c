/*
 * page_state: the whole-VM page-state ledger. Interface and contracts in mm/page_state.h; the
 * states, the transition table and the memory cost in docs/page-state.md.
 *
 * Layout. The RAM ranges of the memory map are covered by 2 MiB chunks; chunks that touch RAM
 * are grouped into segments (runs of consecutive chunks), so a hole between RAM ranges costs
 * nothing. One allocation (the "top level") holds the segments, a copy of the RAM ranges, and
 * per chunk an 8-byte entry and a 2-byte summary:
 *
 *   entry  bit 0 set:   uniform, every page of the chunk has record (entry >> 8) & 0xff
 *          bit 0 clear: pointer to a leaf of 512 one-byte records (allocations are 8-aligned)
 *   diff   leaf only: the number of i in [0, 511) with rec[i] != rec[i + 1]; 0 means all
 *          512 records are equal, which is what makes a 2 MiB request O(1). Uniform: 0.
 *
 * A 4 KiB change on a uniform chunk splits it (allocates a leaf); nothing else allocates.
 * A leaf whose records become equal again stays a leaf until a 2 MiB op or
 * page_state_compact() collapses it: keeping it means the undo of a 4 KiB change never needs
 * memory (see page_state_apply() in the header).
 */
#include "mm/page_state.h"

#include "kernel/check.h"
#include "kernel/panic.h"
#include "kernel/string.h"

#define PS_PAGES_PER_CHUNK 512u
#define PS_PAGE_IN_CHUNK_MASK (PS_PAGES_PER_CHUNK - 1)
/* Architectural guest-physical address limit (APM vol. 2, §5.3.1: 52-bit physical addresses);
 * boot_memmap_parse() applies the same bound. */
#define PS_GPA_LIMIT (1ull << 52)
#define PS_MAX_CHUNKS (PAGE_STATE_MAX_COVERED >> HUGE_PAGE_SHIFT)

#define PS_ENTRY_UNIFORM 0x1ull
#define PS_ENTRY_RECORD_SHIFT 8

/* The records that occur; page_state.h documents the bits. */
#define PS_R_NONE ((uint8_t)PS_OWNER_NONE)
#define PS_R_BASTION ((uint8_t)PS_OWNER_BASTION)
#define PS_R_FIRMWARE ((uint8_t)(PS_OWNER_FIRMWARE | PAGE_STATE_VALIDATED))
#define PS_R_GUEST ((uint8_t)PS_OWNER_GUEST)
#define PS_R_GUEST_VALID ((uint8_t)(PS_OWNER_GUEST | PAGE_STATE_VALIDATED))
#define PS_R_GUEST_SHARED ((uint8_t)(PS_OWNER_GUEST | PAGE_STATE_SHARED))
#define PS_R_GUEST_VMSA ((uint8_t)(PS_R_GUEST_VALID | PAGE_STATE_VMSA))
#define PS_R_GUEST_CAA ((uint8_t)(PS_R_GUEST_VALID | PAGE_STATE_CAA))
/* Guest memory deposited with Bastion (DEPOSIT_MEM): Bastion's until withdrawn. It stays
 * validated (SNP: RMPADJUST takes the guest VMPL's access away, not the validation), which is
 * also what tells it apart from Bastion's own region. */
#define PS_R_DEPOSITED ((uint8_t)(PS_OWNER_BASTION | PAGE_STATE_VALIDATED))
#define PS_FULL_MASK ((uint8_t)(PAGE_STATE_OWNER_MASK | PAGE_STATE_VALIDATED | PAGE_STATE_SHARED | \
				PAGE_STATE_VMSA | PAGE_STATE_CAA))

struct page_state_segment {
	uint64_t first; /* first chunk number (gpa >> 21) */
	uint64_t count; /* chunks in the segment, > 0 */
	uint64_t index; /* index of the first chunk's entry in ps->entry */
};

struct page_state_range {
	uint64_t base; /* bytes, page aligned */
	uint64_t end;  /* exclusive, page aligned, > base */
};

struct ps_leaf {
	uint8_t rec[PS_PAGES_PER_CHUNK];
};

_Static_assert(sizeof(struct ps_leaf) == PAGE_STATE_LEAF_BYTES, "leaf is one byte per page");
_Static_assert(sizeof(uint64_t) + sizeof(uint16_t) == PAGE_STATE_CHUNK_BYTES,
	       "top level is an entry and a summary per chunk");
_Static_assert(PS_PAGES_PER_CHUNK == (HUGE_PAGE_SIZE >> PAGE_SHIFT), "512 pages per 2 MiB");
_Static_assert((PS_FULL_MASK | PAGE_STATE_RESERVED_MASK) == 0xff, "record bits cover a byte");
_Static_assert(PAGE_STATE_RECORD_SPACE == (unsigned int)PS_FULL_MASK + 1, "counter array size");

/* ---- the transition table ------------------------------------------------------------------ */

#define PS_RULE_4K_ONLY 0x1u     /* VMSA and CAA are single 4 KiB pages */
#define PS_RULE_INIT_ONLY 0x2u   /* refused after page_state_seal() */
#define PS_RULE_IGNORE_SAME 0x4u /* accepts PS_F_IGNORE_SAME */
#define PS_RULE_KNOWN (PS_RULE_4K_ONLY | PS_RULE_INIT_ONLY | PS_RULE_IGNORE_SAME)

/*
 * One row per op: the current record must satisfy (record & req_mask) == req_value, and the
 * record afterwards is exactly result (the same for every accepted record, which is what makes
 * PS_F_IGNORE_SAME well defined: "already equal to result").
 */
struct ps_rule {
	const char *name;
	uint8_t req_mask;
	uint8_t req_value;
	uint8_t result;
	uint8_t flags;
};

static const struct ps_rule ps_rules[PS_OP_COUNT] = {
	/* Boot: Bastion's region (IGVM REQUIRED_MEMORY / its image) leaves the guest for good. */
	[PS_OP_ASSIGN_BASTION] = { "ASSIGN_BASTION", PS_FULL_MASK, PS_R_GUEST, PS_R_BASTION,
				   PS_RULE_INIT_ONLY },
	/* Boot: pages the launch measured and validated for the firmware (SVSM spec §1.1). */
	[PS_OP_ASSIGN_FIRMWARE] = { "ASSIGN_FIRMWARE", PS_FULL_MASK, PS_R_GUEST, PS_R_FIRMWARE,
				    PS_RULE_INIT_ONLY },
	[PS_OP_RELEASE_FIRMWARE] = { "RELEASE_FIRMWARE", PS_FULL_MASK, PS_R_FIRMWARE,
				     PS_R_GUEST_VALID, 0 },
	/* SVSM_CORE_PVALIDATE (SVSM spec §7 Table 6): validate, or rescind; ignore_cf. */
	[PS_OP_VALIDATE] = { "VALIDATE", PS_FULL_MASK, PS_R_GUEST, PS_R_GUEST_VALID,
			     PS_RULE_IGNORE_SAME },
	[PS_OP_RESCIND] = { "RESCIND", PS_FULL_MASK, PS_R_GUEST_VALID, PS_R_GUEST,
			    PS_RULE_IGNORE_SAME },
	/* SVSM_CORE_CREATE_VCPU / DELETE_VCPU: the VMSA must be a plain validated private page
	 * that no vCPU uses as VMSA or CAA. */
	[PS_OP_MAKE_VMSA] = { "MAKE_VMSA", PS_FULL_MASK, PS_R_GUEST_VALID, PS_R_GUEST_VMSA,
			      PS_RULE_4K_ONLY },
	[PS_OP_UNMAKE_VMSA] = { "UNMAKE_VMSA", PS_FULL_MASK, PS_R_GUEST_VMSA, PS_R_GUEST_VALID,
				PS_RULE_4K_ONLY },
	/* CREATE_VCPU's CAA and SVSM_CORE_REMAP_CA: private, so the hypervisor cannot read the
	 * call arguments, and not in use by another vCPU. */
	[PS_OP_MAKE_CAA] = { "MAKE_CAA", PS_FULL_MASK, PS_R_GUEST_VALID, PS_R_GUEST_CAA,
			     PS_RULE_4K_ONLY },
	[PS_OP_UNMAKE_CAA] = { "UNMAKE_CAA", PS_FULL_MASK, PS_R_GUEST_CAA, PS_R_GUEST_VALID,
			       PS_RULE_4K_ONLY },
	/* Page state change (GHCB spec, Page State Change): a page becoming shared loses its
	 * validation (RMPUPDATE clears it), so validated or not does not matter here. */
	[PS_OP_MAKE_SHARED] = { "MAKE_SHARED",
				PAGE_STATE_OWNER_MASK | PAGE_STATE_SHARED | PAGE_STATE_VMSA |
					PAGE_STATE_CAA,
				PS_R_GUEST, PS_R_GUEST_SHARED, PS_RULE_IGNORE_SAME },
	[PS_OP_MAKE_PRIVATE] = { "MAKE_PRIVATE", PS_FULL_MASK, PS_R_GUEST_SHARED, PS_R_GUEST,
				 PS_RULE_IGNORE_SAME },
	/* SVSM_CORE_DEPOSIT_MEM / WITHDRAW_MEM (SVSM spec, core calls 4 and 5): only plain
	 * validated private guest memory can be deposited, and only deposited memory leaves
	 * Bastion again (never its own region). */
	[PS_OP_DEPOSIT] = { "DEPOSIT", PS_FULL_MASK, PS_R_GUEST_VALID, PS_R_DEPOSITED, 0 },
	[PS_OP_WITHDRAW] = { "WITHDRAW", PS_FULL_MASK, PS_R_DEPOSITED, PS_R_GUEST_VALID, 0 },
};

/*
 * The legal records (docs/page-state.md, "States"). Everything page_state_check() calls an
 * invariant about a single record is here.
 */
static bool ps_record_legal(unsigned int r)
{
	unsigned int flags = r & ~PAGE_STATE_OWNER_MASK;

	if ((r & PAGE_STATE_RESERVED_MASK) != 0 || r > 0xff) {
		return false;
	}
	switch (r & PAGE_STATE_OWNER_MASK) {
	case PS_OWNER_NONE:
		/* Not RAM carries no state at all. */
		return flags == 0;
	case PS_OWNER_BASTION:
		/* Never shared, a VMSA or a CAA. Its own region carries no flag (Bastion validates
		 * it itself, outside this ledger); deposited guest memory stays validated. */
		return flags == 0 || flags == PAGE_STATE_VALIDATED;
	case PS_OWNER_FIRMWARE:
		/* Measured and validated by the launch, private, not yet in use. */
		return flags == PAGE_STATE_VALIDATED;
	default:
		if ((flags & PAGE_STATE_VMSA) != 0 && (flags & PAGE_STATE_CAA) != 0) {
			return false;
		}
		if ((flags & (PAGE_STATE_VMSA | PAGE_STATE_CAA)) != 0) {
			/* Bastion reads and writes VMSAs and CAAs: validated private memory only. */
			return (flags & PAGE_STATE_VALIDATED) != 0 && (flags & PAGE_STATE_SHARED) == 0;
		}
		if ((flags & PAGE_STATE_SHARED) != 0) {
			/* A shared page is hypervisor-owned in the RMP: never validated. */
			return (flags & PAGE_STATE_VALIDATED) == 0;
		}
		return true;
	}
}

/* Checks the table once at init (STYLE.md §11.1: validate static tables at boot). Returns
 * NULL or what is wrong. */
static const char *ps_table_check(void)
{
	for (unsigned int op = 0; op < PS_OP_COUNT; op++) {
		const struct ps_rule *rule = &ps_rules[op];
		unsigned int accepted = 0;

		if (rule->name == NULL) {
			return "a row is missing";
		}
		if ((rule->req_value & ~rule->req_mask) != 0 || (rule->flags & ~PS_RULE_KNOWN) != 0) {
			return "requirement value outside its mask, or unknown row flag";
		}
		if ((rule->req_mask & PAGE_STATE_OWNER_MASK) != PAGE_STATE_OWNER_MASK ||
		    (rule->req_value & PAGE_STATE_OWNER_MASK) == PS_OWNER_NONE) {
			return "a row must name the owner it accepts, and not NONE";
		}
		if (!ps_record_legal(rule->result) ||
		    (rule->result & PAGE_STATE_OWNER_MASK) == PS_OWNER_NONE) {
			return "a row produces an illegal record";
		}
		if ((rule->flags & PS_RULE_INIT_ONLY) != 0 && (rule->flags & PS_RULE_IGNORE_SAME) != 0) {
			return "an init-only row accepts IGNORE_SAME";
		}
		if ((rule->result & (PAGE_STATE_VMSA | PAGE_STATE_CAA)) != 0 &&
		    (rule->flags & PS_RULE_4K_ONLY) == 0) {
			return "a row producing a VMSA or CAA allows 2 MiB";
		}
		for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
			if (!ps_record_legal(r) || (r & rule->req_mask) != rule->req_value) {
				continue;
			}
			accepted++;
			if (r == rule->result) {
				return "a row accepts its own result (IGNORE_SAME would be ambiguous)";
			}
			/* Bastion's own region never changes after boot; of Bastion's records
			 * only deposited guest memory may leave (WITHDRAW). */
			if (r == PS_R_BASTION || (r == PS_R_DEPOSITED && op != PS_OP_WITHDRAW)) {
				return "a row accepts a Bastion page";
			}
			if ((r & (PAGE_STATE_VMSA | PAGE_STATE_CAA)) != 0 &&
			    (rule->flags & PS_RULE_4K_ONLY) == 0) {
				return "a row consuming a VMSA or CAA allows 2 MiB";
			}
		}
		if (accepted == 0) {
			return "a row accepts no legal record";
		}
	}
	return NULL;
}

/*
 * Why does record cur not satisfy (cur & mask) == value? The first mismatch in the order
 * owner, VMSA, CAA, shared, validated, so "in use" wins over "not validated" and the code a
 * guest-facing caller maps is the most specific one. Returns PS_OK if it matches.
 */
static enum page_state_result ps_mismatch(uint8_t mask, uint8_t value, uint8_t cur)
{
	static const struct {
		uint8_t bit;
		enum page_state_result has;   /* cur has the bit, the requirement forbids it */
		enum page_state_result lacks; /* the requirement needs it, cur lacks it */
	} fields[] = {
		{ PAGE_STATE_VMSA, PS_ERR_IN_USE_VMSA, PS_ERR_NOT_VMSA },
		{ PAGE_STATE_CAA, PS_ERR_IN_USE_CAA, PS_ERR_NOT_CAA },
		{ PAGE_STATE_SHARED, PS_ERR_SHARED, PS_ERR_NOT_SHARED },
		{ PAGE_STATE_VALIDATED, PS_ERR_ALREADY_VALIDATED, PS_ERR_NOT_VALIDATED },
	};
	uint8_t diff = (uint8_t)((cur ^ value) & mask);

	/* Not RAM never matches anything, whatever the mask says. */
	if ((cur & PAGE_STATE_OWNER_MASK) == PS_OWNER_NONE) {
		return PS_ERR_NOT_RAM;
	}
	if ((diff & PAGE_STATE_OWNER_MASK) != 0) {
		switch (cur & PAGE_STATE_OWNER_MASK) {
		case PS_OWNER_BASTION:
			return PS_ERR_BASTION_PAGE;
		case PS_OWNER_FIRMWARE:
			return PS_ERR_FIRMWARE_PAGE;
		default:
			return PS_ERR_GUEST_PAGE;
		}
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((diff & fields[i].bit) != 0) {
			return (cur & fields[i].bit) != 0 ? fields[i].has : fields[i].lacks;
		}
	}
	/* Only reserved bits differ: a record page_state_check() would call corrupt. */
	return diff != 0 ? PS_ERR_CORRUPT : PS_OK;
}

/* The decision for one record: PS_OK with *next, PS_OK_UNCHANGED, or a refusal. */
static enum page_state_result ps_decide(const struct ps_rule *rule, uint8_t cur,
					unsigned int flags, uint8_t *next)
{
	enum page_state_result r = PS_OK;

	if ((flags & PS_F_IGNORE_SAME) != 0 && cur == rule->result) {
		return PS_OK_UNCHANGED;
	}
	r = ps_mismatch(rule->req_mask, rule->req_value, cur);
	if (r != PS_OK) {
		return r;
	}
	*next = rule->result;
	return PS_OK;
}

/* ---- chunk entries and leaves ---------------------------------------------------------------- */

static bool ps_entry_uniform(uint64_t e)
{
	return (e & PS_ENTRY_UNIFORM) != 0;
}

static uint8_t ps_entry_record(uint64_t e)
{
	return (uint8_t)(e >> PS_ENTRY_RECORD_SHIFT);
}

static uint64_t ps_entry_make_uniform(uint8_t r)
{
	return ((uint64_t)r << PS_ENTRY_RECORD_SHIFT) | PS_ENTRY_UNIFORM;
}

static struct ps_leaf *ps_entry_leaf(uint64_t e)
{
	return (struct ps_leaf *)(uintptr_t)e;
}

static uint8_t ps_read(const struct page_state *ps, uint64_t idx, unsigned int page)
{
	uint64_t e = ps->entry[idx];

	return ps_entry_uniform(e) ? ps_entry_record(e) : ps_entry_leaf(e)->rec[page];
}

static uint16_t ps_leaf_count_diff(const struct ps_leaf *leaf)
{
	uint16_t d = 0;

	for (unsigned int i = 0; i + 1 < PS_PAGES_PER_CHUNK; i++) {
		if (leaf->rec[i] != leaf->rec[i + 1]) {
			d++;
		}
	}
	return d;
}

/* Sets one record and keeps the summary exact: only the pairs (page-1, page) and
 * (page, page+1) can change. */
static void ps_leaf_set(struct page_state *ps, uint64_t idx, unsigned int page, uint8_t r)
{
	struct ps_leaf *leaf = ps_entry_leaf(ps->entry[idx]);
	uint8_t old = leaf->rec[page];
	unsigned int d = ps->diff[idx];

	if (page > 0) {
		d -= (leaf->rec[page - 1] != old);
		d += (leaf->rec[page - 1] != r);
	}
	if (page + 1 < PS_PAGES_PER_CHUNK) {
		d -= (leaf->rec[page + 1] != old);
		d += (leaf->rec[page + 1] != r);
	}
	leaf->rec[page] = r;
	ps->diff[idx] = (uint16_t)d;
}

static struct ps_leaf *ps_leaf_alloc(struct page_state *ps, uint8_t fill)
{
	struct ps_leaf *leaf = ps->cb.alloc(sizeof(struct ps_leaf), ps->cb.ctx);

	if (leaf == NULL) {
		return NULL;
	}
	/* The entry encoding needs bit 0 clear; the callback contract promises 8-alignment. */
	CHECK(((uintptr_t)leaf & 7) == 0);
	bastion_memset(leaf->rec, fill, sizeof(leaf->rec));
	ps->leaf_count++;
	return leaf;
}

static void ps_leaf_free(struct page_state *ps, struct ps_leaf *leaf)
{
	ps->cb.free(leaf, sizeof(struct ps_leaf), ps->cb.ctx);
	ps->leaf_count--;
}

/* Finds the entry index of chunk (gpa >> 21). Binary search over at most
 * BOOT_MEMMAP_MAX_ENTRIES segments. */
static bool ps_find_chunk(const struct page_state *ps, uint64_t chunk, uint64_t *idx)
{
	size_t lo = 0;
	size_t hi = ps->seg_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct page_state_segment *s = &ps->seg[mid];

		if (chunk < s->first) {
			hi = mid;
		} else if (chunk - s->first >= s->count) {
			lo = mid + 1;
		} else {
			*idx = s->index + (chunk - s->first);
			return true;
		}
	}
	return false;
}

/* Index of the first RAM range whose end lies above gpa (ram_count if none). */
static size_t ps_first_range_after(const struct page_state *ps, uint64_t gpa)
{
	size_t lo = 0;
	size_t hi = ps->ram_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->ram[mid].end <= gpa) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* ---- invariants -------------------------------------------------------------------------- */

/*
 * Checks one chunk: records legal, NONE exactly on the pages outside RAM, the summary exact,
 * a uniform chunk fully RAM. Adds its pages to counts (if not NULL). Returns NULL or why not.
 */
static const char *ps_check_chunk(const struct page_state *ps, uint64_t idx, uint64_t chunk,
				  uint64_t *counts)
{
	uint64_t e = ps->entry[idx];
	uint64_t base = chunk << HUGE_PAGE_SHIFT;
	size_t ri = ps_first_range_after(ps, base);

	if (ps_entry_uniform(e)) {
		uint8_t r = ps_entry_record(e);

		if ((e >> (PS_ENTRY_RECORD_SHIFT + 8)) != 0 || (e & 0xfe) != 0) {
			return "uniform entry has stray bits";
		}
		if (!ps_record_legal(r) || r == PS_R_NONE) {
			return "uniform chunk has an illegal or not-RAM record";
		}
		/* Adjacent ranges may share the chunk: follow them while they are contiguous. */
		for (uint64_t pos = base; pos - base < HUGE_PAGE_SIZE; ri++) {
			if (ri >= ps->ram_count || ps->ram[ri].base > pos) {
				return "uniform chunk is not entirely RAM";
			}
			pos = ps->ram[ri].end;
		}
		if (ps->diff[idx] != 0) {
			return "uniform chunk has a nonzero summary";
		}
		if (counts != NULL) {
			counts[r] += PS_PAGES_PER_CHUNK;
		}
		return NULL;
	}
	if (e == 0 || (e & 7) != 0) {
		return "leaf pointer is NULL or misaligned";
	}
	for (unsigned int p = 0; p < PS_PAGES_PER_CHUNK; p++) {
		uint64_t a = base + ((uint64_t)p << PAGE_SHIFT);
		uint8_t r = ps_entry_leaf(e)->rec[p];
		bool in_ram = false;

		while (ri < ps->ram_count && ps->ram[ri].end <= a) {
			ri++;
		}
		in_ram = ri < ps->ram_count && ps->ram[ri].base <= a;
		if (!ps_record_legal(r)) {
			return "leaf has an illegal record";
		}
		if ((r == PS_R_NONE) == in_ram) {
			return "leaf says not-RAM for RAM, or the reverse";
		}
		if (counts != NULL) {
			counts[r]++;
		}
	}
	if (ps_leaf_count_diff(ps_entry_leaf(e)) != ps->diff[idx]) {
		return "leaf summary does not match its records";
	}
	return NULL;
}

/* The global counters that are O(record space) to check. */
static const char *ps_check_counters(const struct page_state *ps)
{
	uint64_t sum = 0;

	for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
		if (!ps_record_legal(r) && ps->page_count[r] != 0) {
			return "pages counted under an illegal record";
		}
		sum += ps->page_count[r];
	}
	if (sum != ps->chunk_count * PS_PAGES_PER_CHUNK) {
		return "page counters do not add up to the covered pages";
	}
	if (ps->leaf_count > ps->chunk_count) {
		return "more leaves than chunks";
	}
	return NULL;
}

static const char *ps_check_all(const struct page_state *ps)
{
	uint64_t counts[PAGE_STATE_RECORD_SPACE];
	uint64_t next_index = 0;
	size_t leaves = 0;
	const char *why = ps_table_check();

	if (why != NULL) {
		return why;
	}
	bastion_memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < ps->ram_count; i++) {
		const struct page_state_range *r = &ps->ram[i];
		uint64_t idx = 0;

		if (r->base >= r->end || r->end > PS_GPA_LIMIT || !addr_is_aligned(r->base, PAGE_SIZE) ||
		    !addr_is_aligned(r->end, PAGE_SIZE) || (i > 0 && r->base < ps->ram[i - 1].end)) {
			return "RAM ranges out of order or malformed";
		}
		if (!ps_find_chunk(ps, r->base >> HUGE_PAGE_SHIFT, &idx) ||
		    !ps_find_chunk(ps, (r->end - 1) >> HUGE_PAGE_SHIFT, &idx)) {
			return "a RAM range is not covered by a segment";
		}
	}
	for (size_t s = 0; s < ps->seg_count; s++) {
		const struct page_state_segment *seg = &ps->seg[s];

		if (seg->count == 0 || seg->index != next_index ||
		    seg->first + seg->count > (PS_GPA_LIMIT >> HUGE_PAGE_SHIFT) ||
		    (s > 0 && seg->first <= ps->seg[s - 1].first + ps->seg[s - 1].count)) {
			return "segments out of order, touching, or misindexed";
		}
		for (uint64_t c = 0; c < seg->count; c++) {
			why = ps_check_chunk(ps, seg->index + c, seg->first + c, counts);
			if (why != NULL) {
				return why;
			}
			leaves += !ps_entry_uniform(ps->entry[seg->index + c]);
		}
		next_index += seg->count;
	}
	if (next_index != ps->chunk_count) {
		return "segments do not add up to the chunk count";
	}
	if (leaves != ps->leaf_count) {
		return "leaf count does not match the leaves";
	}
	for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
		if (counts[r] != ps->page_count[r]) {
			return "page counters do not match the records";
		}
	}
	return ps_check_counters(ps);
}

/*
 * Debug builds: after every change, check the touched chunk and the global counters
 * (O(512 + 64)), not the whole ledger; page_state_check() does that on demand.
 */
static void ps_debug_check(const struct page_state *ps, uint64_t idx, uint64_t chunk)
{
#ifdef CONFIG_DEBUG
	const char *why = ps_check_chunk(ps, idx, chunk, NULL);

	if (why == NULL) {
		why = ps_check_counters(ps);
	}
	if (why != NULL) {
		panic("page_state: %s (chunk at gpa 0x%llx)", why,
		      (unsigned long long)(chunk << HUGE_PAGE_SHIFT));
	}
#else
	(void)ps;
	(void)idx;
	(void)chunk;
#endif
}

/* ---- init and destroy ---------------------------------------------------------------------- */

/*
 * Walks the RAM ranges of map: validates them and computes the segments. With seg and ram
 * NULL it only counts; otherwise it fills them (sized by a counting pass).
 */
static enum page_state_result ps_scan_map(const struct boot_memmap *map,
					  struct page_state_segment *seg, size_t *seg_count,
					  struct page_state_range *ram, size_t *ram_count,
					  uint64_t *chunk_count)
{
	uint64_t prev_end = 0;
	uint64_t seg_first = 0;
	uint64_t seg_end = 0; /* exclusive chunk number */
	size_t nseg = 0;
	size_t nram = 0;
	uint64_t chunks = 0;

	for (size_t i = 0; i < map->count; i++) {
		const struct boot_mem_range *r = &map->ranges[i];
		uint64_t end = 0;
		uint64_t cfirst = 0;
		uint64_t cend = 0;

		if (r->type != BOOT_MEM_RAM) {
			continue;
		}
		if (r->size == 0 || !addr_is_aligned(r->base, PAGE_SIZE) ||
		    !addr_is_aligned(r->size, PAGE_SIZE) || !addr_range_end(r->base, r->size, &end) ||
		    end > PS_GPA_LIMIT || (nram > 0 && r->base < prev_end)) {
			return PS_ERR_BAD_MEMMAP;
		}
		if (ram != NULL) {
			ram[nram] = (struct page_state_range){ .base = r->base, .end = end };
		}
		nram++;
		prev_end = end;
		/* end <= 2^52, so rounding up cannot wrap. */
		cfirst = r->base >> HUGE_PAGE_SHIFT;
		cend = (end + HUGE_PAGE_MASK) >> HUGE_PAGE_SHIFT;
		if (nseg > 0 && cfirst <= seg_end) {
			/* Shares (or touches) the current segment's last chunk: extend it. */
			chunks += cend - seg_end;
			seg_end = cend;
		} else {
			if (nseg > 0 && seg != NULL) {
				seg[nseg - 1].count = seg_end - seg_first;
			}
			if (seg != NULL) {
				seg[nseg] = (struct page_state_segment){ .first = cfirst, .index = chunks };
			}
			nseg++;
			seg_first = cfirst;
			seg_end = cend;
			chunks += cend - cfirst;
		}
		if (chunks > PS_MAX_CHUNKS) {
			return PS_ERR_TOO_LARGE;
		}
	}
	if (nram == 0) {
		return PS_ERR_BAD_MEMMAP;
	}
	if (seg != NULL) {
		seg[nseg - 1].count = seg_end - seg_first;
	}
	*seg_count = nseg;
	*ram_count = nram;
	*chunk_count = chunks;
	return PS_OK;
}

/* Init: the pages of [base, end) become guest-owned, unvalidated, private. */
static enum page_state_result ps_init_mark_ram(struct page_state *ps, uint64_t base, uint64_t end)
{
	for (uint64_t chunk = base >> HUGE_PAGE_SHIFT; chunk <= (end - 1) >> HUGE_PAGE_SHIFT;
	     chunk++) {
		uint64_t cs = chunk << HUGE_PAGE_SHIFT;
		uint64_t lo = base > cs ? base : cs;
		uint64_t hi = end - cs < HUGE_PAGE_SIZE ? end : cs + HUGE_PAGE_SIZE;
		uint64_t idx = 0;
		struct ps_leaf *leaf = NULL;

		CHECK(ps_find_chunk(ps, chunk, &idx));
		if (lo == cs && hi == cs + HUGE_PAGE_SIZE) {
			/* Ranges do not overlap, so nothing else touched this chunk yet. */
			ps->entry[idx] = ps_entry_make_uniform(PS_R_GUEST);
			continue;
		}
		if (ps_entry_uniform(ps->entry[idx])) {
			leaf = ps_leaf_alloc(ps, ps_entry_record(ps->entry[idx]));
			if (leaf == NULL) {
				return PS_ERR_NO_MEMORY;
			}
			ps->entry[idx] = (uint64_t)(uintptr_t)leaf;
		}
		leaf = ps_entry_leaf(ps->entry[idx]);
		bastion_memset(&leaf->rec[(lo - cs) >> PAGE_SHIFT], PS_R_GUEST,
			       (size_t)((hi - lo) >> PAGE_SHIFT));
	}
	return PS_OK;
}

static void ps_free_leaves(struct page_state *ps)
{
	for (uint64_t i = 0; i < ps->chunk_count; i++) {
		if (!ps_entry_uniform(ps->entry[i])) {
			ps_leaf_free(ps, ps_entry_leaf(ps->entry[i]));
			ps->entry[i] = ps_entry_make_uniform(PS_R_NONE);
		}
	}
}

enum page_state_result page_state_init(struct page_state *ps, const struct boot_memmap *map,
				       const struct page_state_callbacks *cb)
{
	enum page_state_result r = PS_OK;
	size_t nseg = 0;
	size_t nram = 0;
	uint64_t chunks = 0;
	size_t bytes = 0;
	uint8_t *top = NULL;
	const char *why = ps_table_check();

	if (why != NULL) {
		panic("page_state: transition table: %s", why);
	}
	if (ps == NULL) {
		return PS_ERR_INVALID_ARG;
	}
	bastion_memset(ps, 0, sizeof(*ps));
	if (map == NULL || cb == NULL || cb->alloc == NULL || cb->free == NULL ||
	    map->count > BOOT_MEMMAP_MAX_ENTRIES) {
		return PS_ERR_INVALID_ARG;
	}
	r = ps_scan_map(map, NULL, &nseg, NULL, &nram, &chunks);
	if (r != PS_OK) {
		return r;
	}
	/* chunks <= PS_MAX_CHUNKS (2^21), nseg and nram <= 64: no overflow. */
	bytes = nseg * sizeof(struct page_state_segment) + nram * sizeof(struct page_state_range) +
		(size_t)chunks * PAGE_STATE_CHUNK_BYTES;
	top = cb->alloc(bytes, cb->ctx);
	if (top == NULL) {
		return PS_ERR_NO_MEMORY;
	}
	CHECK(((uintptr_t)top & 7) == 0);
	ps->cb = *cb;
	ps->top = top;
	ps->top_bytes = bytes;
	ps->seg = (struct page_state_segment *)(void *)top;
	ps->ram = (struct page_state_range *)(void *)(top + nseg * sizeof(struct page_state_segment));
	ps->entry = (uint64_t *)(void *)((uint8_t *)ps->ram + nram * sizeof(struct page_state_range));
	ps->diff = (uint16_t *)(void *)(ps->entry + chunks);
	ps->chunk_count = chunks;
	r = ps_scan_map(map, ps->seg, &ps->seg_count, ps->ram, &ps->ram_count, &chunks);
	CHECK(r == PS_OK && chunks == ps->chunk_count);
	for (uint64_t i = 0; i < chunks; i++) {
		ps->entry[i] = ps_entry_make_uniform(PS_R_NONE);
		ps->diff[i] = 0;
	}
	for (size_t i = 0; i < ps->ram_count && r == PS_OK; i++) {
		r = ps_init_mark_ram(ps, ps->ram[i].base, ps->ram[i].end);
	}
	if (r != PS_OK) {
		page_state_destroy(ps);
		return r;
	}
	/* Summaries, then collapse chunks that adjacent ranges filled completely. */
	for (uint64_t i = 0; i < chunks; i++) {
		if (!ps_entry_uniform(ps->entry[i])) {
			ps->diff[i] = ps_leaf_count_diff(ps_entry_leaf(ps->entry[i]));
		}
	}
	(void)page_state_compact(ps);
	for (uint64_t i = 0; i < chunks; i++) {
		if (ps_entry_uniform(ps->entry[i])) {
			ps->page_count[ps_entry_record(ps->entry[i])] += PS_PAGES_PER_CHUNK;
			continue;
		}
		for (unsigned int p = 0; p < PS_PAGES_PER_CHUNK; p++) {
			ps->page_count[ps_entry_leaf(ps->entry[i])->rec[p]]++;
		}
	}
#ifdef CONFIG_DEBUG
	why = ps_check_all(ps);
	if (why != NULL) {
		panic("page_state: after init: %s", why);
	}
#endif
	return PS_OK;
}

void page_state_destroy(struct page_state *ps)
{
	if (ps == NULL || ps->top == NULL) {
		return;
	}
	ps_free_leaves(ps);
	ps->cb.free(ps->top, ps->top_bytes, ps->cb.ctx);
	bastion_memset(ps, 0, sizeof(*ps));
}

void page_state_seal(struct page_state *ps)
{
	ps->sealed = true;
}

/* ---- changes ------------------------------------------------------------------------------ */

static enum page_state_result ps_apply_page(struct page_state *ps, uint64_t idx, uint64_t chunk,
					    unsigned int page, const struct ps_rule *rule,
					    unsigned int flags)
{
	uint8_t cur = ps_read(ps, idx, page);
	uint8_t next = 0;
	enum page_state_result r = ps_decide(rule, cur, flags, &next);

	if (r != PS_OK || (flags & PS_F_CHECK_ONLY) != 0) {
		return r;
	}
	if (ps_entry_uniform(ps->entry[idx])) {
		/* Split: the only allocation after init. Failing here leaves everything as it was. */
		struct ps_leaf *leaf = ps_leaf_alloc(ps, cur);

		if (leaf == NULL) {
			return PS_ERR_NO_MEMORY;
		}
		ps->entry[idx] = (uint64_t)(uintptr_t)leaf;
		ps->diff[idx] = 0;
	}
	ps_leaf_set(ps, idx, page, next);
	ps->page_count[cur]--;
	ps->page_count[next]++;
	ps->changes++;
	ps_debug_check(ps, idx, chunk);
	return PS_OK;
}

static enum page_state_result ps_apply_chunk(struct page_state *ps, uint64_t idx, uint64_t chunk,
					     const struct ps_rule *rule, unsigned int flags)
{
	uint64_t e = ps->entry[idx];
	uint8_t cur = 0;
	uint8_t next = 0;
	enum page_state_result r = PS_OK;

	if (!ps_entry_uniform(e)) {
		/* PVALIDATE's FAIL_SIZEMISMATCH: the guest retries as 512 4 KiB entries
		 * (SVSM ABI reference §2.2). Chunks partly outside RAM always end up here. */
		if (ps->diff[idx] != 0) {
			return PS_ERR_SIZE_MISMATCH;
		}
		cur = ps_entry_leaf(e)->rec[0];
	} else {
		cur = ps_entry_record(e);
	}
	r = ps_decide(rule, cur, flags, &next);
	if (r != PS_OK || (flags & PS_F_CHECK_ONLY) != 0) {
		return r;
	}
	if (!ps_entry_uniform(e)) {
		ps_leaf_free(ps, ps_entry_leaf(e));
	}
	ps->entry[idx] = ps_entry_make_uniform(next);
	ps->diff[idx] = 0;
	ps->page_count[cur] -= PS_PAGES_PER_CHUNK;
	ps->page_count[next] += PS_PAGES_PER_CHUNK;
	ps->changes++;
	ps_debug_check(ps, idx, chunk);
	return PS_OK;
}

enum page_state_result page_state_apply(struct page_state *ps, gpa_t gpa, enum page_size size,
					enum page_state_op op, unsigned int flags)
{
	const struct ps_rule *rule = NULL;
	uint64_t a = gpa_get(gpa);
	uint64_t idx = 0;

	if (ps == NULL || ps->top == NULL || (unsigned int)op >= PS_OP_COUNT ||
	    (size != PAGE_SIZE_4K && size != PAGE_SIZE_2M) ||
	    (flags & ~(PS_F_IGNORE_SAME | PS_F_CHECK_ONLY)) != 0) {
		return PS_ERR_INVALID_ARG;
	}
	rule = &ps_rules[op];
	if ((flags & PS_F_IGNORE_SAME) != 0 && (rule->flags & PS_RULE_IGNORE_SAME) == 0) {
		return PS_ERR_INVALID_ARG;
	}
	if (size == PAGE_SIZE_2M && (rule->flags & PS_RULE_4K_ONLY) != 0) {
		return PS_ERR_BAD_SIZE;
	}
	if ((rule->flags & PS_RULE_INIT_ONLY) != 0 && ps->sealed) {
		return PS_ERR_SEALED;
	}
	if (!addr_is_aligned(a, size == PAGE_SIZE_2M ? HUGE_PAGE_SIZE : PAGE_SIZE)) {
		return PS_ERR_MISALIGNED;
	}
	/* Any address past the last segment (up to 2^64 - 4 KiB) is simply not found. */
	if (!ps_find_chunk(ps, a >> HUGE_PAGE_SHIFT, &idx)) {
		return PS_ERR_NOT_RAM;
	}
	if (size == PAGE_SIZE_2M) {
		return ps_apply_chunk(ps, idx, a >> HUGE_PAGE_SHIFT, rule, flags);
	}
	return ps_apply_page(ps, idx, a >> HUGE_PAGE_SHIFT,
			     (unsigned int)((a >> PAGE_SHIFT) & PS_PAGE_IN_CHUNK_MASK), rule, flags);
}

size_t page_state_compact(struct page_state *ps)
{
	size_t freed = 0;

	if (ps == NULL || ps->top == NULL) {
		return 0;
	}
	for (uint64_t i = 0; i < ps->chunk_count; i++) {
		uint64_t e = ps->entry[i];

		if (!ps_entry_uniform(e) && ps->diff[i] == 0) {
			uint8_t r = ps_entry_leaf(e)->rec[0];

			ps_leaf_free(ps, ps_entry_leaf(e));
			ps->entry[i] = ps_entry_make_uniform(r);
			freed++;
		}
	}
	return freed;
}

/* ---- queries ----------------------------------------------------------------------------- */

enum page_state_result page_state_get(const struct page_state *ps, gpa_t gpa,
				      struct page_state_record *record)
{
	uint64_t a = gpa_get(gpa);
	uint64_t idx = 0;
	uint8_t r = PS_R_NONE;

	if (ps != NULL && ps->top != NULL && ps_find_chunk(ps, a >> HUGE_PAGE_SHIFT, &idx)) {
		r = ps_read(ps, idx, (unsigned int)((a >> PAGE_SHIFT) & PS_PAGE_IN_CHUNK_MASK));
	}
	record->bits = r;
	return r == PS_R_NONE ? PS_ERR_NOT_RAM : PS_OK;
}

enum page_state_result page_state_range_all(const struct page_state *ps, gpa_t gpa, uint64_t len,
					    struct page_state_match m, gpa_t *first_bad)
{
	uint64_t end = 0;
	uint64_t page = 0;
	uint64_t last = 0;

	if (len == 0) {
		return PS_OK;
	}
	if (!addr_range_end(gpa_get(gpa), len, &end)) {
		return PS_ERR_OVERFLOW;
	}
	if (ps == NULL || ps->top == NULL) {
		return PS_ERR_INVALID_ARG;
	}
	page = gpa_get(gpa) >> PAGE_SHIFT;
	last = (end - 1) >> PAGE_SHIFT;
	for (;;) {
		uint64_t chunk = page >> (HUGE_PAGE_SHIFT - PAGE_SHIFT);
		uint64_t chunk_last = page | PS_PAGE_IN_CHUNK_MASK;
		uint64_t stop = chunk_last < last ? chunk_last : last;
		uint64_t idx = 0;
		enum page_state_result r = PS_OK;

		if (!ps_find_chunk(ps, chunk, &idx)) {
			r = PS_ERR_NOT_RAM;
		} else if (ps_entry_uniform(ps->entry[idx])) {
			/* One comparison for the whole chunk. */
			r = ps_mismatch(m.mask, m.value, ps_entry_record(ps->entry[idx]));
		} else {
			for (; page <= stop; page++) {
				r = ps_mismatch(m.mask, m.value,
						ps_read(ps, idx, (unsigned int)(page &
										PS_PAGE_IN_CHUNK_MASK)));
				if (r != PS_OK) {
					break;
				}
			}
		}
		if (r != PS_OK) {
			if (first_bad != NULL) {
				*first_bad = gpa_init(page << PAGE_SHIFT);
			}
			return r;
		}
		if (stop == last) {
			return PS_OK;
		}
		page = stop + 1;
	}
}

enum page_state_result page_state_check(const struct page_state *ps, const char **reason)
{
	const char *why = NULL;

	if (ps == NULL || ps->top == NULL) {
		why = "ledger not initialised";
	} else {
		why = ps_check_all(ps);
	}
	if (reason != NULL) {
		*reason = why;
	}
	return why == NULL ? PS_OK : PS_ERR_CORRUPT;
}

uint64_t page_state_count(const struct page_state *ps, struct page_state_record r)
{
	return r.bits < PAGE_STATE_RECORD_SPACE ? ps->page_count[r.bits] : 0;
}

void page_state_stats(const struct page_state *ps, struct page_state_stats *out)
{
	bastion_memset(out, 0, sizeof(*out));
	out->struct_bytes = sizeof(*ps);
	out->top_bytes = ps->top_bytes;
	out->leaf_count = ps->leaf_count;
	out->leaf_bytes = ps->leaf_count * sizeof(struct ps_leaf);
	out->chunk_count = ps->chunk_count;
	out->segment_count = ps->seg_count;
	for (unsigned int r = 0; r < PAGE_STATE_RECORD_SPACE; r++) {
		uint64_t n = ps->page_count[r];

		switch (r & PAGE_STATE_OWNER_MASK) {
		case PS_OWNER_NONE:
			continue;
		case PS_OWNER_GUEST:
			out->guest_pages += n;
			out->guest_validated_pages += (r & PAGE_STATE_VALIDATED) != 0 ? n : 0;
			out->shared_pages += (r & PAGE_STATE_SHARED) != 0 ? n : 0;
			out->vmsa_pages += (r & PAGE_STATE_VMSA) != 0 ? n : 0;
			out->caa_pages += (r & PAGE_STATE_CAA) != 0 ? n : 0;
			break;
		case PS_OWNER_FIRMWARE:
			out->firmware_pages += n;
			break;
		default:
			out->bastion_pages += n;
			break;
		}
		out->ram_pages += n;
	}
}

/* ---- names ------------------------------------------------------------------------------- */

const char *page_state_result_name(enum page_state_result r)
{
	static const char *const names[PS_RESULT_COUNT] = {
		[PS_OK] = "OK",
		[PS_OK_UNCHANGED] = "OK_UNCHANGED",
		[PS_ERR_INVALID_ARG] = "INVALID_ARG",
		[PS_ERR_BAD_SIZE] = "BAD_SIZE",
		[PS_ERR_MISALIGNED] = "MISALIGNED",
		[PS_ERR_OVERFLOW] = "OVERFLOW",
		[PS_ERR_NOT_RAM] = "NOT_RAM",
		[PS_ERR_SIZE_MISMATCH] = "SIZE_MISMATCH",
		[PS_ERR_BASTION_PAGE] = "BASTION_PAGE",
		[PS_ERR_FIRMWARE_PAGE] = "FIRMWARE_PAGE",
		[PS_ERR_GUEST_PAGE] = "GUEST_PAGE",
		[PS_ERR_IN_USE_VMSA] = "IN_USE_VMSA",
		[PS_ERR_NOT_VMSA] = "NOT_VMSA",
		[PS_ERR_IN_USE_CAA] = "IN_USE_CAA",
		[PS_ERR_NOT_CAA] = "NOT_CAA",
		[PS_ERR_SHARED] = "SHARED",
		[PS_ERR_NOT_SHARED] = "NOT_SHARED",
		[PS_ERR_ALREADY_VALIDATED] = "ALREADY_VALIDATED",
		[PS_ERR_NOT_VALIDATED] = "NOT_VALIDATED",
		[PS_ERR_SEALED] = "SEALED",
		[PS_ERR_NO_MEMORY] = "NO_MEMORY",
		[PS_ERR_BAD_MEMMAP] = "BAD_MEMMAP",
		[PS_ERR_TOO_LARGE] = "TOO_LARGE",
		[PS_ERR_CORRUPT] = "CORRUPT",
	};

	if ((unsigned int)r >= PS_RESULT_COUNT || names[r] == NULL) {
		return "?";
	}
	return names[r];
}

const char *page_state_op_name(enum page_state_op op)
{
	if ((unsigned int)op >= PS_OP_COUNT || ps_rules[op].name == NULL) {
		return "?";
	}
	return ps_rules[op].name;
}

const char *page_state_owner_name(enum page_state_owner owner)
{
	static const char *const names[] = {
		[PS_OWNER_NONE] = "none",
		[PS_OWNER_GUEST] = "guest",
		[PS_OWNER_FIRMWARE] = "firmware",
		[PS_OWNER_BASTION] = "bastion",
	};

	if ((unsigned int)owner >= sizeof(names) / sizeof(names[0])) {
		return "?";
	}
	return names[owner];
}

uint64_t page_state_changes(const struct page_state *ps)
{
	return ps->changes;
}
