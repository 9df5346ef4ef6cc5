#include "mm/deposit_pool.h"

#include "kernel/string.h"

#define FRAME_SHIFT 12u
#define WORD_BITS 64u

int deposit_pool_init(struct deposit_pool *pool, uint64_t top, void *(*alloc)(size_t size, void *ctx),
		      void *ctx)
{
	uint64_t frames = top >> FRAME_SHIFT;
	uint64_t words = (frames + WORD_BITS - 1) / WORD_BITS;

	bastion_memset(pool, 0, sizeof(*pool));
	if (top == 0 || (top & ((1u << FRAME_SHIFT) - 1)) != 0 || words > SIZE_MAX / sizeof(uint64_t)) {
		return -1;
	}
	pool->bits = alloc((size_t)words * sizeof(uint64_t), ctx);
	if (pool->bits == NULL) {
		return -1;
	}
	pool->frames = frames;
	return 0;
}

bool deposit_pool_ready(const struct deposit_pool *pool)
{
	return pool->bits != NULL;
}

/* The frame number of pa if [pa, pa + count frames) lies inside the pool, else false. */
static bool frame_range(const struct deposit_pool *pool, paddr_t pa, uint64_t count, uint64_t *first)
{
	uint64_t f = paddr_get(pa) >> FRAME_SHIFT;

	if (pool->bits == NULL || (paddr_get(pa) & ((1u << FRAME_SHIFT) - 1)) != 0 || count == 0 ||
	    f >= pool->frames || count > pool->frames - f) {
		return false;
	}
	*first = f;
	return true;
}

static bool bit_get(const struct deposit_pool *pool, uint64_t f)
{
	return (pool->bits[f / WORD_BITS] >> (f % WORD_BITS)) & 1u;
}

bool deposit_pool_add(struct deposit_pool *pool, paddr_t pa, uint64_t count)
{
	uint64_t first = 0;

	if (!frame_range(pool, pa, count, &first)) {
		return false;
	}
	for (uint64_t i = 0; i < count; i++) {
		if (bit_get(pool, first + i)) {
			return false;
		}
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t f = first + i;

		pool->bits[f / WORD_BITS] |= 1ull << (f % WORD_BITS);
	}
	pool->free_count += count;
	return true;
}

bool deposit_pool_take(struct deposit_pool *pool, paddr_t *pa)
{
	uint64_t words = (pool->frames + WORD_BITS - 1) / WORD_BITS;

	if (pool->free_count == 0) {
		return false;
	}
	/* Start at the hint: deposits come in runs, so the next free frame is usually nearby. */
	for (uint64_t n = 0; n < words; n++) {
		uint64_t w = (pool->hint + n) % words;

		if (pool->bits[w] != 0) {
			uint64_t b = (uint64_t)__builtin_ctzll(pool->bits[w]);

			pool->bits[w] &= ~(1ull << b);
			pool->free_count--;
			pool->hint = w;
			*pa = paddr_init((w * WORD_BITS + b) << FRAME_SHIFT);
			return true;
		}
	}
	return false; /* unreachable while free_count matches the bits */
}

uint64_t deposit_pool_free(const struct deposit_pool *pool)
{
	return pool->free_count;
}

bool deposit_pool_contains(const struct deposit_pool *pool, paddr_t pa)
{
	uint64_t f = 0;

	return frame_range(pool, pa, 1, &f) && bit_get(pool, f);
}
