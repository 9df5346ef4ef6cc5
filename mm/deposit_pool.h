/*
 * The deposit pool: guest memory the guest gave Bastion with SVSM_CORE_DEPOSIT_MEM, that
 * Bastion can use as page frames and that goes back to the guest with SVSM_CORE_WITHDRAW_MEM
 * (SVSM spec 58019, core calls 4 and 5; docs/abi.md D10).
 *
 * The pool only keeps the books: which deposited 4 KiB frames are free. The ledger
 * (mm/page_state.h, record B+V) says which frames are deposited at all, and the platform
 * backend changes the ledger and the guest's access before adding a frame and after taking
 * one out. One bit per frame of the covered range, allocated once at init: adding a frame can
 * therefore never fail, which keeps DEPOSIT_MEM all-or-nothing per entry.
 *
 * Bastion's own users take frames with deposit_pool_take() and return them with
 * deposit_pool_add(); the page allocator does not draw on the pool (yet). Frames are handed
 * out as physical addresses: map them (mm/tempmap.h) to use them.
 *
 * Not thread-safe: callers hold the VM lock (docs/architecture.md, lock order).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/addr.h"

struct deposit_pool {
	uint64_t *bits;       /* bit i set: frame (base_pfn + i) is deposited and free */
	uint64_t frames;      /* frames covered */
	uint64_t free_count;  /* bits set */
	uint64_t hint;        /* word index where the last take found a frame */
};

/*
 * Prepares a pool for frames [0, top) (top: the end of guest RAM, 4 KiB aligned).
 * alloc(size, ctx) must return zeroed memory or NULL. Returns 0, or -1 (allocation failed or
 * top is 0 / unaligned); the pool is then empty and deposit_pool_ready() is false.
 */
int deposit_pool_init(struct deposit_pool *pool, uint64_t top, void *(*alloc)(size_t size, void *ctx),
		      void *ctx);

/* True after a successful deposit_pool_init(). */
bool deposit_pool_ready(const struct deposit_pool *pool);

/*
 * Adds count frames from pa (4 KiB aligned) as free. Returns false, changing nothing, if the
 * range is outside the pool or any frame of it is already free in the pool (a Bastion bug the
 * caller CHECKs).
 */
bool deposit_pool_add(struct deposit_pool *pool, paddr_t pa, uint64_t count);

/* Takes one free frame out of the pool into *pa. False if none is free. */
bool deposit_pool_take(struct deposit_pool *pool, paddr_t *pa);

/* Number of free frames. */
uint64_t deposit_pool_free(const struct deposit_pool *pool);

/* True if frame pa is free in the pool. */
bool deposit_pool_contains(const struct deposit_pool *pool, paddr_t pa);
