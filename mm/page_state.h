/*
 * page_state: the whole-VM page-state ledger.
 *
 * One record per 4 KiB page of every RAM range of the VM's memory map (struct boot_memmap), not
 * only of Bastion's region: who owns the page (the guest, the guest firmware image, Bastion),
 * whether it is validated (PVALIDATE), shared or private, and whether it is in use as a guest
 * VMSA or as a calling area (CAA). It is what refuses double validation, validating Bastion's
 * own pages, and repurposing a VMSA or CAA that is still in use (SVSM spec, Publication #58019
 * rev 1.00, §7: PVALIDATE, CREATE_VCPU and REMAP_CA must reject such GPAs), and it is the
 * ledger live migration will replay.
 *
 * Every change goes through page_state_apply(), driven by a static const transition table
 * (mm/page_state.c, documented in docs/page-state.md). Reading is page_state_get() and
 * page_state_range_all().
 *
 * Layout (memory cost in docs/page-state.md): the RAM ranges are grouped into segments of
 * 2 MiB chunks. Each chunk has an 8-byte entry that is either "uniform: every page has record
 * R" or a pointer to a leaf of 512 one-byte records, plus a 2-byte count of adjacent unequal
 * records in that leaf, so "are all 512 records equal?" (a 2 MiB operation) is O(1).
 *
 * Concurrency: none inside. The caller serialises all calls on one ledger (one lock around
 * it once Bastion runs on several vCPUs).
 *
 * Portable (host-testable): stdint/stddef/stdbool and kernel/string.h only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_params.h"
#include "mm/addr.h"

/* ---- records ------------------------------------------------------------------------------ */

/*
 * One page's record, one byte. Bits (explicit masks, not C bitfields: see STYLE.md §11.10):
 *   1:0  owner (enum page_state_owner)
 *   2    PAGE_STATE_VALIDATED  the page was validated (PVALIDATE) for its owner
 *   3    PAGE_STATE_SHARED     the page is shared (hypervisor-visible) rather than private
 *   4    PAGE_STATE_VMSA       the page is a guest vCPU's VMSA (CREATE_VCPU)
 *   5    PAGE_STATE_CAA        the page is a guest vCPU's calling area
 *   7:6  reserved, always 0
 * The legal combinations are listed in docs/page-state.md and checked by page_state_check().
 */
struct page_state_record {
	uint8_t bits;
};

enum page_state_owner {
	PS_OWNER_NONE = 0,     /* not RAM: outside every RAM range of the memory map */
	PS_OWNER_GUEST = 1,    /* the guest's (unvalidated until it validates it) */
	PS_OWNER_FIRMWARE = 2, /* pre-validated guest firmware image, until released to the guest */
	PS_OWNER_BASTION = 3,  /* Bastion's own region: never the guest's */
};

#define PAGE_STATE_OWNER_MASK 0x03u
#define PAGE_STATE_VALIDATED 0x04u
#define PAGE_STATE_SHARED 0x08u
#define PAGE_STATE_VMSA 0x10u
#define PAGE_STATE_CAA 0x20u
#define PAGE_STATE_RESERVED_MASK 0xc0u
/* Number of distinct record encodings (reserved bits excluded): the size of count arrays. */
#define PAGE_STATE_RECORD_SPACE 64u

static inline struct page_state_record page_state_record_make(enum page_state_owner owner,
							      unsigned int flags)
{
	return (struct page_state_record){ .bits = (uint8_t)(((unsigned int)owner &
							       PAGE_STATE_OWNER_MASK) |
							      (flags & ~PAGE_STATE_OWNER_MASK)) };
}

static inline enum page_state_owner page_state_record_owner(struct page_state_record r)
{
	return (enum page_state_owner)(r.bits & PAGE_STATE_OWNER_MASK);
}

static inline bool page_state_record_validated(struct page_state_record r)
{
	return (r.bits & PAGE_STATE_VALIDATED) != 0;
}

static inline bool page_state_record_shared(struct page_state_record r)
{
	return (r.bits & PAGE_STATE_SHARED) != 0;
}

static inline bool page_state_record_vmsa(struct page_state_record r)
{
	return (r.bits & PAGE_STATE_VMSA) != 0;
}

static inline bool page_state_record_caa(struct page_state_record r)
{
	return (r.bits & PAGE_STATE_CAA) != 0;
}

static inline bool page_state_record_eq(struct page_state_record a, struct page_state_record b)
{
	return a.bits == b.bits;
}

/* ---- operations --------------------------------------------------------------------------- */

/* Operation sizes; the values are the PVALIDATE entry's page-size encoding (0 = 4K, 1 = 2M). */
enum page_size {
	PAGE_SIZE_4K = 0,
	PAGE_SIZE_2M = 1,
};

/* The operations of the transition table (docs/page-state.md has the table). */
enum page_state_op {
	PS_OP_ASSIGN_BASTION,   /* init only: guest unvalidated private -> bastion */
	PS_OP_ASSIGN_FIRMWARE,  /* init only: guest unvalidated private -> firmware validated */
	PS_OP_RELEASE_FIRMWARE, /* firmware validated -> guest validated private */
	PS_OP_VALIDATE,         /* guest unvalidated private -> validated (PVALIDATE validate) */
	PS_OP_RESCIND,          /* guest validated private -> unvalidated (PVALIDATE rescind) */
	PS_OP_MAKE_VMSA,        /* guest validated private -> + VMSA (CREATE_VCPU), 4K only */
	PS_OP_UNMAKE_VMSA,      /* guest VMSA -> validated private (DELETE_VCPU), 4K only */
	PS_OP_MAKE_CAA,         /* guest validated private -> + CAA (CREATE_VCPU, REMAP_CA), 4K only */
	PS_OP_UNMAKE_CAA,       /* guest CAA -> validated private (REMAP_CA old page), 4K only */
	PS_OP_MAKE_SHARED,      /* guest private (validated or not), not VMSA/CAA -> shared */
	PS_OP_MAKE_PRIVATE,     /* guest shared -> unvalidated private */
	PS_OP_DEPOSIT,          /* guest validated private -> deposited (DEPOSIT_MEM) */
	PS_OP_WITHDRAW,         /* deposited -> guest validated private (WITHDRAW_MEM) */
	PS_OP_COUNT,
};

/*
 * Flags for page_state_apply().
 *   PS_F_IGNORE_SAME  the PVALIDATE ignore_cf semantic: if the page (every page, for 2 MiB)
 *                     already has exactly the record the operation produces, succeed with
 *                     PS_OK_UNCHANGED and change nothing. Only VALIDATE, RESCIND, MAKE_SHARED
 *                     and MAKE_PRIVATE accept it.
 *   PS_F_CHECK_ONLY   decide and return what the operation would return, change nothing and
 *                     allocate nothing (so it never returns PS_ERR_NO_MEMORY).
 */
#define PS_F_IGNORE_SAME 0x1u
#define PS_F_CHECK_ONLY 0x2u

/*
 * Results. Everything but PS_OK and PS_OK_UNCHANGED is a refusal, and a refusal leaves the
 * ledger unchanged. Suggested SVSM result codes for protocols/ are in docs/page-state.md.
 */
enum page_state_result {
	PS_OK = 0,                /* done (or, with PS_F_CHECK_ONLY, would be done) */
	PS_OK_UNCHANGED,          /* PS_F_IGNORE_SAME: already in the resulting state */
	PS_ERR_INVALID_ARG,       /* unknown op, size or flag; flag not allowed for op */
	PS_ERR_BAD_SIZE,          /* a 4 KiB-only op (VMSA/CAA) asked for 2 MiB */
	PS_ERR_MISALIGNED,        /* gpa not aligned to the operation size */
	PS_ERR_OVERFLOW,          /* gpa + len wraps past the top of the address space */
	PS_ERR_NOT_RAM,           /* a page outside every RAM range of the memory map */
	PS_ERR_SIZE_MISMATCH,     /* 2 MiB op over a chunk whose 512 records are not all equal */
	PS_ERR_BASTION_PAGE,      /* the page is Bastion's */
	PS_ERR_FIRMWARE_PAGE,     /* the page is still the firmware image's (not released) */
	PS_ERR_GUEST_PAGE,        /* the page is the guest's; the op needs another owner's page */
	PS_ERR_IN_USE_VMSA,       /* the page is an active guest VMSA */
	PS_ERR_NOT_VMSA,          /* UNMAKE_VMSA on a page that is not a VMSA */
	PS_ERR_IN_USE_CAA,        /* the page is an active calling area */
	PS_ERR_NOT_CAA,           /* UNMAKE_CAA on a page that is not a CAA */
	PS_ERR_SHARED,            /* the page is shared; the op needs a private page */
	PS_ERR_NOT_SHARED,        /* MAKE_PRIVATE on a page that is already private */
	PS_ERR_ALREADY_VALIDATED, /* the page is validated; the op needs an unvalidated one */
	PS_ERR_NOT_VALIDATED,     /* the page is not validated; the op needs a validated one */
	PS_ERR_SEALED,            /* an init-only op (ASSIGN_*) after page_state_seal() */
	PS_ERR_NO_MEMORY,         /* a chunk had to be split and the leaf allocation failed */
	PS_ERR_BAD_MEMMAP,        /* init: no RAM, or RAM ranges unaligned/unsorted/overlapping */
	PS_ERR_TOO_LARGE,         /* init: RAM covers more than PAGE_STATE_MAX_COVERED bytes */
	PS_ERR_CORRUPT,           /* page_state_check(): an invariant is broken (Bastion bug) */
	PS_RESULT_COUNT,
};

/* True for PS_OK and PS_OK_UNCHANGED. */
static inline bool page_state_result_ok(enum page_state_result r)
{
	return r == PS_OK || r == PS_OK_UNCHANGED;
}

/* A range query predicate: a page matches if (record.bits & mask) == value. */
struct page_state_match {
	uint8_t mask;
	uint8_t value;
};

/* Guest memory Bastion may read or write on the guest's behalf (request buffers, the CAA):
 * guest-owned, validated, private, not a VMSA. CAA pages match. */
#define PAGE_STATE_MATCH_GUEST_PRIVATE                                                          \
	((struct page_state_match){                                                             \
		.mask = PAGE_STATE_OWNER_MASK | PAGE_STATE_VALIDATED | PAGE_STATE_SHARED |      \
			PAGE_STATE_VMSA,                                                         \
		.value = PS_OWNER_GUEST | PAGE_STATE_VALIDATED,                                \
	})

/* Guest memory the guest has made shared with the hypervisor. */
#define PAGE_STATE_MATCH_GUEST_SHARED                                                           \
	((struct page_state_match){                                                             \
		.mask = PAGE_STATE_OWNER_MASK | PAGE_STATE_SHARED,                              \
		.value = PS_OWNER_GUEST | PAGE_STATE_SHARED,                                   \
	})

/* ---- the ledger ------------------------------------------------------------------------ */

/*
 * Memory for the top level and the leaves. alloc returns size bytes aligned to at least 8, or
 * NULL; free gets back the pointer and the size that was allocated. The kernel passes kmalloc
 * and kfree (the top level can exceed kmalloc's largest class for big VMs: see
 * docs/page-state.md); tests pass counting and failure-injecting allocators.
 */
struct page_state_callbacks {
	void *(*alloc)(size_t size, void *ctx);
	void (*free)(void *p, size_t size, void *ctx);
	void *ctx;
};

/* Largest amount of guest-physical space (sum of the 2 MiB chunks covering RAM) accepted. */
#define PAGE_STATE_MAX_COVERED (1ull << 42)
/* Bytes of one leaf: one record per 4 KiB page of a 2 MiB chunk. */
#define PAGE_STATE_LEAF_BYTES 512u
/* Top-level bytes per 2 MiB chunk: an 8-byte entry and a 2-byte leaf summary. */
#define PAGE_STATE_CHUNK_BYTES 10u

struct page_state_segment;
struct page_state_range;

/*
 * The ledger. Visible so the kernel can place it statically; touch it only through the
 * functions below. A zero-filled struct is "not initialised" and page_state_destroy() on it is
 * a no-op.
 */
struct page_state {
	struct page_state_callbacks cb;
	void *top;         /* one allocation: segments, RAM ranges, chunk entries, summaries */
	size_t top_bytes;
	struct page_state_segment *seg;
	size_t seg_count;
	struct page_state_range *ram;
	size_t ram_count;
	uint64_t *entry;   /* per chunk: uniform record (tagged) or leaf pointer */
	uint16_t *diff;    /* per chunk with a leaf: adjacent record pairs that differ */
	uint64_t chunk_count;
	size_t leaf_count;
	bool sealed;
	uint64_t page_count[PAGE_STATE_RECORD_SPACE]; /* pages per record value, all chunks */
	uint64_t changes;  /* successful record changes so far (page_state_changes) */
};

struct page_state_stats {
	size_t top_bytes;     /* the top-level allocation */
	size_t leaf_bytes;    /* leaf_count * PAGE_STATE_LEAF_BYTES */
	size_t leaf_count;
	size_t struct_bytes;  /* sizeof(struct page_state), wherever the caller placed it */
	uint64_t chunk_count; /* 2 MiB chunks covering RAM */
	size_t segment_count;
	uint64_t ram_pages;   /* pages whose owner is not PS_OWNER_NONE */
	uint64_t guest_pages;
	uint64_t guest_validated_pages;
	uint64_t shared_pages;
	uint64_t vmsa_pages;
	uint64_t caa_pages;
	uint64_t firmware_pages;
	uint64_t bastion_pages;
};

/*
 * Builds the ledger for the RAM ranges (type BOOT_MEM_RAM) of map: every RAM page starts as
 * guest-owned, unvalidated and private (the SNP launch state of memory nobody measured);
 * addresses outside them, and ranges of other types, are "not RAM". Validates the static
 * transition table first (a broken table is a Bastion bug: panic).
 *
 * Inputs: ps (any contents; overwritten), map (ranges page aligned, nonzero, ascending,
 * non-overlapping, below 2^52, as boot_memmap_parse() produces), cb (alloc and free non-NULL).
 * Output: on PS_OK, an initialised ledger; on error, a zero-filled ps and nothing allocated.
 * Returns:
 *   PS_OK
 *   PS_ERR_INVALID_ARG  ps, map or a callback is NULL, or map->count > BOOT_MEMMAP_MAX_ENTRIES
 *   PS_ERR_BAD_MEMMAP   no RAM range, or a RAM range unaligned, empty, wrapping, above 2^52,
 *                       out of order or overlapping the previous one
 *   PS_ERR_TOO_LARGE    the chunks covering RAM exceed PAGE_STATE_MAX_COVERED
 *   PS_ERR_NO_MEMORY    an allocation failed (everything allocated so far is freed)
 */
enum page_state_result page_state_init(struct page_state *ps, const struct boot_memmap *map,
				       const struct page_state_callbacks *cb);

/* Frees every leaf and the top level and zero-fills ps. No-op on a zero-filled ps. */
void page_state_destroy(struct page_state *ps);

/* Ends the init phase: from now on PS_OP_ASSIGN_* return PS_ERR_SEALED. */
void page_state_seal(struct page_state *ps);

/*
 * Applies op to the 4 KiB page or the 2 MiB chunk at gpa. A 2 MiB operation is all-or-nothing:
 * either all 512 pages change, or none does.
 *
 * Inputs: size PAGE_SIZE_4K or PAGE_SIZE_2M; op < PS_OP_COUNT; flags a set of PS_F_*.
 * Returns (on every error the ledger is unchanged):
 *   PS_OK                     the page (chunk) now has the op's resulting record
 *   PS_OK_UNCHANGED           PS_F_IGNORE_SAME and it already had it: nothing changed
 *   PS_ERR_INVALID_ARG        ps NULL or not initialised, bad op, size or flags, or
 *                             PS_F_IGNORE_SAME on an op without it
 *   PS_ERR_BAD_SIZE           PAGE_SIZE_2M with MAKE_VMSA, UNMAKE_VMSA, MAKE_CAA, UNMAKE_CAA
 *   PS_ERR_SEALED             ASSIGN_BASTION or ASSIGN_FIRMWARE after page_state_seal()
 *   PS_ERR_MISALIGNED         gpa not 4 KiB (PAGE_SIZE_4K) or 2 MiB (PAGE_SIZE_2M) aligned
 *   PS_ERR_NOT_RAM            the page is not RAM (2 MiB: no page of the chunk is RAM)
 *   PS_ERR_SIZE_MISMATCH      PAGE_SIZE_2M and the chunk's 512 records are not all equal
 *                             (this includes chunks only partly RAM)
 *   PS_ERR_BASTION_PAGE, PS_ERR_FIRMWARE_PAGE, PS_ERR_GUEST_PAGE, PS_ERR_IN_USE_VMSA,
 *   PS_ERR_NOT_VMSA, PS_ERR_IN_USE_CAA, PS_ERR_NOT_CAA, PS_ERR_SHARED, PS_ERR_NOT_SHARED,
 *   PS_ERR_ALREADY_VALIDATED, PS_ERR_NOT_VALIDATED
 *                             the current record is not one the op accepts; the code names
 *                             the first mismatch in the order owner, VMSA, CAA, shared,
 *                             validated
 *   PS_ERR_NO_MEMORY          4 KiB op on a uniform chunk: the leaf allocation failed
 *
 * Memory: only a 4 KiB op on a uniform chunk allocates (one leaf). 2 MiB ops never allocate
 * (they may free a leaf whose records are all equal). Hence after PS_OK, applying any op of
 * the same size at the same gpa (the undo after a failed PVALIDATE, say) cannot return
 * PS_ERR_NO_MEMORY, as long as page_state_compact() is not called in between.
 * Debug builds (CONFIG_DEBUG) check the touched chunk and the global counters after every
 * change and panic if an invariant is broken.
 */
enum page_state_result page_state_apply(struct page_state *ps, gpa_t gpa, enum page_size size,
					enum page_state_op op, unsigned int flags);

/*
 * Reads the record of the page containing gpa (any byte address).
 * Returns PS_OK with *record set, or PS_ERR_NOT_RAM with *record = owner NONE.
 */
enum page_state_result page_state_get(const struct page_state *ps, gpa_t gpa,
				      struct page_state_record *record);

/*
 * Range query: does every page overlapping the bytes [gpa, gpa + len) match m? len 0 is an
 * empty range and matches. Uniform chunks are checked once, not page by page.
 * Output: on a refusal other than PS_ERR_OVERFLOW and PS_ERR_INVALID_ARG, *first_bad (if not
 * NULL) is the page-aligned address of the first page that does not match.
 * Returns:
 *   PS_OK               every page matches
 *   PS_ERR_OVERFLOW     gpa + len wraps (a range ending exactly at 2^64 included)
 *   PS_ERR_INVALID_ARG  ps NULL or not initialised (len > 0)
 *   PS_ERR_NOT_RAM      a page is outside RAM
 *   other PS_ERR_*      the first non-matching page's mismatch, classified as in
 *                       page_state_apply() (e.g. PS_ERR_IN_USE_VMSA, PS_ERR_NOT_VALIDATED)
 */
enum page_state_result page_state_range_all(const struct page_state *ps, gpa_t gpa, uint64_t len,
					    struct page_state_match m, gpa_t *first_bad);

/*
 * Frees every leaf whose 512 records have become equal again, turning its chunk back into a
 * uniform entry. Returns the number of leaves freed. Never fails. Note the guarantee in
 * page_state_apply(): an undo after compaction may need memory again.
 */
size_t page_state_compact(struct page_state *ps);

/*
 * Verifies every invariant: the transition table; segments and RAM ranges ordered; every
 * uniform chunk fully RAM with a legal non-NONE record; every leaf record legal and NONE
 * exactly outside RAM; every leaf summary equal to a recount; the per-record page counters,
 * leaf count and byte totals equal to a recount. Cost O(chunks + 512 * leaves).
 * Output: *reason (if not NULL) names the first broken invariant, or is NULL.
 * Returns PS_OK or PS_ERR_CORRUPT (also for a NULL or uninitialised ps).
 */
enum page_state_result page_state_check(const struct page_state *ps, const char **reason);

/* How many record changes page_state_apply() has made: equal values mean nothing changed in
 * between, so a caller can skip a page_state_check(). */
uint64_t page_state_changes(const struct page_state *ps);

/* Number of pages whose record is exactly r. */
uint64_t page_state_count(const struct page_state *ps, struct page_state_record r);

/* Fills *out with the ledger's memory use and page counts. */
void page_state_stats(const struct page_state *ps, struct page_state_stats *out);

/* Readable names for logs: never NULL ("?" for unknown values). */
const char *page_state_result_name(enum page_state_result r);
const char *page_state_op_name(enum page_state_op op);
const char *page_state_owner_name(enum page_state_owner owner);
