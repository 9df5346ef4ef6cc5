/*
 * Fuzz target: the buddy page allocator (mm/page_alloc.c) driven by an operation stream and
 * checked against a model after every step.
 *
 * Input: 4 set-up bytes (pool size, base misalignment, carved metadata or not), then one
 * operation per 3 bytes: page_alloc of an order (some beyond PAGE_ALLOC_MAX_ORDER, some with
 * PAGE_ALLOC_ZERO or PAGE_ALLOC_NO_FAULT_INJECT), page_alloc_pages of a count (some 0 or too
 * large), free of a live block, owner tag set/clear, owner bookkeeping round trip, address
 * conversions, fault injection of the nth request, a full check, and deliberate misuse
 * (double free, wrong order, a page inside a block, freeing a tagged block) which must panic.
 *
 * The model: which block owns each page, the free page count, and what fault injection will
 * do to the next request. Checked: every returned block lies in the pool, is aligned to its
 * size, overlaps no live block, is zero when asked; a stamp written into each block survives
 * until its free (nobody else hands out or scribbles on it); NULL only when no free block of
 * the needed order exists or the injected failure was due; page_pool_check() and the free
 * page count after every few operations; at the end every block is freed and the pool must
 * coalesce back to exactly its initial free-block histogram.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>

#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "tests/fuzz/fuzz.h"
#include "tests/host/host_panic.h"

#define FZ_MAX_PAGES 1280u /* > 1024, so order-10 blocks exist in the larger pools */
#define FZ_MAX_LIVE 512u
#define FZ_BASE 0x100000000ull
#define FZ_RUN 0xffu /* block order marking a page_alloc_pages() run */

struct fz_block {
	uint8_t *va;
	uint32_t pages;
	uint8_t order;
	bool tagged;
	uint16_t id;
};

static uint8_t fz_mem[FZ_MAX_PAGES * PAGE_SIZE] __attribute__((aligned(1u << 22)));
static uint8_t fz_meta[FZ_MAX_PAGES * 128] __attribute__((aligned(64)));

static struct page_pool fz_pool;
static struct fz_block fz_live[FZ_MAX_LIVE];
static size_t fz_live_count;
static uint16_t fz_owner[FZ_MAX_PAGES]; /* model: block id per page, 0 = free */
static uint64_t fz_model_free;
static uint64_t fz_first_pa; /* physical address of the pool's first managed page */
static uint8_t *fz_first_va;
static uint64_t fz_managed;
static uint16_t fz_next_id;
/* Fault injection mirror: the request number (counted since arming) that fails, 0 = none. */
static uint64_t fz_inject_nth;
static uint64_t fz_inject_seen;

static unsigned int order_for(uint32_t pages)
{
	unsigned int k = 0;

	while ((1u << k) < pages) {
		k++;
	}
	return k;
}

static bool free_block_at_least(unsigned int order)
{
	struct page_pool_stats s;

	page_pool_get_stats(&fz_pool, &s);
	for (unsigned int k = order; k <= PAGE_ALLOC_MAX_ORDER; k++) {
		if (s.free_blocks[k] != 0) {
			return true;
		}
	}
	return false;
}

static uint64_t page_index(const void *va)
{
	return (uint64_t)((const uint8_t *)va - fz_first_va) >> PAGE_SHIFT;
}

/* The stamp: the block id in the first and last 8 bytes of every page of the block. */
static void stamp(const struct fz_block *b)
{
	for (uint32_t i = 0; i < b->pages; i++) {
		uint8_t *pg = b->va + (size_t)i * PAGE_SIZE;
		uint64_t v = (uint64_t)b->id << 32 | i;

		memcpy(pg, &v, 8);
		memcpy(pg + PAGE_SIZE - 8, &v, 8);
	}
}

static void stamp_check(const struct fz_block *b)
{
	for (uint32_t i = 0; i < b->pages; i++) {
		const uint8_t *pg = b->va + (size_t)i * PAGE_SIZE;
		uint64_t v = (uint64_t)b->id << 32 | i;

		if (memcmp(pg, &v, 8) != 0 || memcmp(pg + PAGE_SIZE - 8, &v, 8) != 0) {
			FUZZ_FAIL("block %u page %u: stamp overwritten while allocated", b->id, i);
		}
	}
}

static void check_pool(void)
{
	const char *reason = NULL;

	if (!page_pool_check(&fz_pool, &reason)) {
		FUZZ_FAIL("page_pool_check: %s", reason != NULL ? reason : "?");
	}
	if (page_pool_free_pages(&fz_pool) != fz_model_free) {
		FUZZ_FAIL("free pages %llu, model %llu",
			  (unsigned long long)page_pool_free_pages(&fz_pool),
			  (unsigned long long)fz_model_free);
	}
}

/* Mirrors fault_inject_should_fail() for one counted request. */
static bool inject_due(unsigned int flags)
{
	if ((flags & PAGE_ALLOC_NO_FAULT_INJECT) != 0 || fz_inject_nth == 0) {
		return false;
	}
	fz_inject_seen++;
	return fz_inject_seen == fz_inject_nth;
}

static void took(uint8_t *va, uint32_t pages, uint8_t order, unsigned int flags)
{
	struct fz_block b = { va, pages, order, false, fz_next_id };
	uint64_t pa;
	uint64_t first;

	if (!page_pool_contains(&fz_pool, va) ||
	    !page_pool_contains(&fz_pool, va + (size_t)pages * PAGE_SIZE - 1)) {
		FUZZ_FAIL("block %p of %u pages outside the pool", (void *)va, pages);
	}
	pa = paddr_get(page_pool_va_to_pa(&fz_pool, va));
	if (!addr_is_aligned(pa, PAGE_SIZE << order_for(pages))) {
		FUZZ_FAIL("block at pa 0x%llx of %u pages misaligned", (unsigned long long)pa, pages);
	}
	if (page_pool_pa_to_va(&fz_pool, paddr_init(pa)) != va) {
		FUZZ_FAIL("pa_to_va(va_to_pa(%p)) differs", (void *)va);
	}
	first = page_index(va);
	for (uint32_t i = 0; i < pages; i++) {
		if (fz_owner[first + i] != 0) {
			FUZZ_FAIL("page %llu handed out twice (blocks %u and %u)",
				  (unsigned long long)(first + i), fz_owner[first + i], b.id);
		}
		fz_owner[first + i] = b.id;
	}
	if ((flags & PAGE_ALLOC_ZERO) != 0) {
		/* The edges and the middle of every page: a whole-block scan of 4 MiB blocks
		 * would cost more than the rest of the input. */
		static const size_t probe[] = { 0, 8, PAGE_SIZE / 2, PAGE_SIZE - 16, PAGE_SIZE - 8 };

		for (uint32_t i = 0; i < pages; i++) {
			for (size_t j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
				uint64_t w;

				memcpy(&w, va + (size_t)i * PAGE_SIZE + probe[j], 8);
				if (w != 0) {
					FUZZ_FAIL("PAGE_ALLOC_ZERO block: page %u offset %zu not zero", i,
						  probe[j]);
				}
			}
		}
	}
	stamp(&b);
	fz_model_free -= pages;
	fz_live[fz_live_count++] = b;
	fz_next_id = (uint16_t)(fz_next_id == 0xffff ? 1 : fz_next_id + 1);
}

static void release(size_t idx)
{
	struct fz_block b = fz_live[idx];
	uint64_t first = page_index(b.va);

	stamp_check(&b);
	for (uint32_t i = 0; i < b.pages; i++) {
		fz_owner[first + i] = 0;
	}
	if (b.tagged) {
		page_pool_set_tag(&fz_pool, b.va, 0);
	}
	if (b.order == FZ_RUN) {
		page_free_pages(&fz_pool, b.va, b.pages);
	} else {
		page_free(&fz_pool, b.va, b.order);
	}
	fz_model_free += b.pages;
	fz_live[idx] = fz_live[--fz_live_count];
}

static void op_alloc(uint8_t a, uint8_t b)
{
	unsigned int order = a % 13; /* 11 and 12 are invalid */
	unsigned int flags = (b & 1 ? PAGE_ALLOC_ZERO : 0) | (b & 2 ? PAGE_ALLOC_NO_FAULT_INJECT : 0);
	bool injected;
	uint8_t *va;

	if (fz_live_count == FZ_MAX_LIVE) {
		return;
	}
	injected = order <= PAGE_ALLOC_MAX_ORDER && inject_due(flags);
	va = page_alloc(&fz_pool, order, flags);
	if (va == NULL) {
		if (order <= PAGE_ALLOC_MAX_ORDER && !injected && free_block_at_least(order)) {
			FUZZ_FAIL("page_alloc(order %u) NULL with a free block available", order);
		}
		return;
	}
	if (order > PAGE_ALLOC_MAX_ORDER || injected) {
		FUZZ_FAIL("page_alloc(order %u) succeeded, expected NULL%s", order,
			  injected ? " (injected failure)" : "");
	}
	took(va, 1u << order, (uint8_t)order, flags);
}

static void op_alloc_pages(uint8_t a, uint8_t b)
{
	uint32_t count = (uint32_t)(b & 0xC0) << 2 | a; /* 0 .. 1023, then b bit 5 pushes past */
	unsigned int flags = (b & 1 ? PAGE_ALLOC_ZERO : 0) | (b & 2 ? PAGE_ALLOC_NO_FAULT_INJECT : 0);
	bool valid;
	bool injected;
	uint8_t *va;

	if (b & 0x20) {
		count += PAGE_ALLOC_MAX_BLOCK_PAGES; /* 1024 is still valid, above is not */
	}
	if (fz_live_count == FZ_MAX_LIVE) {
		return;
	}
	valid = count != 0 && count <= PAGE_ALLOC_MAX_BLOCK_PAGES;
	injected = valid && inject_due(flags);
	va = page_alloc_pages(&fz_pool, count, flags);
	if (va == NULL) {
		if (valid && !injected && free_block_at_least(order_for(count))) {
			FUZZ_FAIL("page_alloc_pages(%u) NULL with a free block available", count);
		}
		return;
	}
	if (!valid || injected) {
		FUZZ_FAIL("page_alloc_pages(%u) succeeded, expected NULL", count);
	}
	took(va, count, FZ_RUN, flags);
}

static void op_owner(uint8_t a, uint8_t b)
{
	struct fz_block *blk;
	struct page_owner *ow;

	if (fz_live_count == 0) {
		return;
	}
	blk = &fz_live[a % fz_live_count];
	if (b & 1) {
		blk->tagged = !blk->tagged;
		page_pool_set_tag(&fz_pool, blk->va, blk->tagged ? (uintptr_t)blk->id << 4 : 0);
	}
	if (page_pool_tag(&fz_pool, blk->va) != (blk->tagged ? (uintptr_t)blk->id << 4 : 0)) {
		FUZZ_FAIL("block %u: tag lost", blk->id);
	}
	if (blk->tagged) {
		/* Tagged blocks lend their metadata to the owner: it must round-trip. */
		ow = page_pool_owner(&fz_pool, blk->va);
		ow->count = blk->id;
		ow->bits[b & 3] = blk->pages;
		if (page_pool_owner_va(&fz_pool, ow) != blk->va || ow->count != blk->id) {
			FUZZ_FAIL("block %u: owner bookkeeping does not round-trip", blk->id);
		}
	}
}

/* Deliberate misuse: must panic. Returns true (the input ends: the pool is not trusted after a
 * panic, exactly as in the kernel, where panic never returns). */
static bool op_misuse(uint8_t a, uint8_t b)
{
	jmp_buf env;
	volatile bool panicked = false;
	struct fz_block *blk;
	void *va;
	unsigned int order;

	if (fz_live_count == 0) {
		return false;
	}
	blk = &fz_live[a % fz_live_count];
	va = blk->va;
	order = blk->order == FZ_RUN ? order_for(blk->pages) : blk->order;
	switch (b % 4) {
	case 0: /* wrong order */
		order = (order + 1 + (b >> 2) % 10) % (PAGE_ALLOC_MAX_ORDER + 1);
		if (blk->order != FZ_RUN && order == blk->order) {
			return false;
		}
		break;
	case 1: /* a page inside the block */
		if (blk->pages < 2) {
			return false;
		}
		va = blk->va + PAGE_SIZE * (1 + (b >> 2) % (blk->pages - 1));
		break;
	case 2: /* not page aligned */
		va = blk->va + 1 + (b >> 2);
		break;
	default: /* tagged, or a run freed as a block, or a block freed twice */
		if (!blk->tagged && blk->order != FZ_RUN) {
			stamp_check(blk);
			page_free(&fz_pool, blk->va, blk->order);
			fz_model_free += blk->pages;
			for (uint32_t i = 0; i < blk->pages; i++) {
				fz_owner[page_index(blk->va) + i] = 0;
			}
			check_pool();
		}
		break;
	}
	host_panic_catch = &env;
	if (setjmp(env) == 0) {
		page_free(&fz_pool, va, order);
	} else {
		panicked = true;
	}
	host_panic_catch = NULL;
	if (!panicked) {
		FUZZ_FAIL("misuse %u of block %u (%u pages, order %u) did not panic", b % 4, blk->id,
			  blk->pages, blk->order);
	}
	return true;
}

static bool setup(struct fuzz_in *in)
{
	uint8_t sz_hi = fuzz_u8(in);
	uint8_t sz_lo = fuzz_u8(in);
	uint8_t misalign = fuzz_u8(in);
	uint8_t mode = fuzz_u8(in);
	/* Mostly small pools (debug builds poison every free page, so a pool's size is its cost
	 * per input); the high bit selects the large ones that hold order-10 blocks. */
	uint64_t total = (sz_hi & 0x80) ? 1 + ((uint64_t)(sz_hi & 0x7f) << 8 | sz_lo) % FZ_MAX_PAGES
					: 1 + (uint64_t)(sz_hi << 1 | (sz_lo & 1));
	uint64_t base = FZ_BASE + (uint64_t)(misalign & 0x7f) * PAGE_SIZE;
	uint64_t va_offset = (uint64_t)(uintptr_t)fz_mem - base;
	struct page_pool_stats s;
	int rc;

	memset(&fz_pool, 0, sizeof(fz_pool));
	if (mode & 1) {
		uint64_t meta_pages = 0;

		fz_managed = page_pool_meta_split(total, &meta_pages);
		rc = page_pool_init_carved(&fz_pool, paddr_init(base), total, va_offset);
		if (fz_managed == 0) {
			if (rc == PAGE_ALLOC_OK) {
				FUZZ_FAIL("carved init of %llu pages accepted with nothing to manage",
					  (unsigned long long)total);
			}
			return false;
		}
		if (fz_managed + meta_pages > total) {
			FUZZ_FAIL("meta_split(%llu) = %llu + %llu meta pages",
				  (unsigned long long)total, (unsigned long long)fz_managed,
				  (unsigned long long)meta_pages);
		}
		fz_first_pa = base + meta_pages * PAGE_SIZE;
	} else {
		size_t meta_bytes = page_pool_meta_bytes(total);

		if (meta_bytes > sizeof(fz_meta)) {
			FUZZ_FAIL("meta_bytes(%llu) = %zu", (unsigned long long)total, meta_bytes);
		}
		fz_managed = total;
		rc = page_pool_init(&fz_pool, paddr_init(base), total, va_offset, fz_meta, meta_bytes);
		fz_first_pa = base;
	}
	if (rc != PAGE_ALLOC_OK) {
		FUZZ_FAIL("init of %llu pages (carved %d) failed: %d", (unsigned long long)total,
			  mode & 1, rc);
	}
	fz_first_va = fz_mem + (fz_first_pa - base);
	if (page_pool_pa_to_va(&fz_pool, paddr_init(fz_first_pa)) != fz_first_va) {
		FUZZ_FAIL("first managed page at the wrong address");
	}
	page_pool_get_stats(&fz_pool, &s);
	if (s.total_pages != fz_managed || s.free_pages != fz_managed) {
		FUZZ_FAIL("fresh pool: total %llu free %llu, expected %llu",
			  (unsigned long long)s.total_pages, (unsigned long long)s.free_pages,
			  (unsigned long long)fz_managed);
	}
	fz_model_free = fz_managed;
	fz_live_count = 0;
	fz_next_id = 1;
	memset(fz_owner, 0, sizeof(fz_owner));
	fz_inject_nth = 0;
	fz_inject_seen = 0;
	fault_inject_reset();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct page_pool_stats start;
	struct page_pool_stats end;
	unsigned int step = 0;

	if (!setup(&in)) {
		return 0;
	}
	page_pool_get_stats(&fz_pool, &start);
	check_pool();
	while (fuzz_left(&in) >= 3) {
		uint8_t op = fuzz_u8(&in);
		uint8_t a = fuzz_u8(&in);
		uint8_t b = fuzz_u8(&in);

		switch (op % 10) {
		case 0:
		case 1:
		case 2:
			op_alloc(a, b);
			break;
		case 3:
			op_alloc_pages(a, b);
			break;
		case 4:
		case 5:
		case 6:
			if (fz_live_count != 0) {
				release(a % fz_live_count);
			}
			break;
		case 7:
			op_owner(a, b);
			break;
		case 8:
			/* Fail the nth counted request from now (1..4); 0 disarms. */
			fz_inject_nth = a % 5;
			fz_inject_seen = 0;
			if (fz_inject_nth == 0) {
				fault_inject_reset();
			} else {
				fault_inject_fail_nth(fz_inject_nth);
			}
			break;
		default:
			if (a < 0x10) {
				if (op_misuse(b, a)) {
					fault_inject_reset();
					return 0;
				}
			} else {
				check_pool();
			}
			break;
		}
		if (++step % 8 == 0) {
			check_pool();
		}
	}
	check_pool();
	fault_inject_reset();
	while (fz_live_count != 0) {
		release(fz_live_count - 1);
	}
	check_pool();
	page_pool_get_stats(&fz_pool, &end);
	if (end.free_pages != fz_managed ||
	    memcmp(end.free_blocks, start.free_blocks, sizeof(start.free_blocks)) != 0) {
		FUZZ_FAIL("pool did not coalesce back to its initial blocks");
	}
	if (end.alloc_count - start.alloc_count != end.free_count - start.free_count) {
		FUZZ_FAIL("alloc_count %llu != free_count %llu", (unsigned long long)end.alloc_count,
			  (unsigned long long)end.free_count);
	}
	return 0;
}
