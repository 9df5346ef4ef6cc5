/* mm/deposit_pool: the books of deposited frames, against a simple model. */
#include <stdlib.h>
#include <string.h>

#include "mm/deposit_pool.h"
#include "tests/ktest/ktest.h"

#define TOP (64ull << 20) /* 16384 frames */

static void *zalloc(size_t size, void *ctx)
{
	(void)ctx;
	return calloc(1, size);
}

static void *fail_alloc(size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	return NULL;
}

KTEST(deposit_pool, init_refusals)
{
	struct deposit_pool p;
	paddr_t pa;

	EXPECT_EQ(deposit_pool_init(&p, 0, zalloc, NULL), -1);
	EXPECT_EQ(deposit_pool_init(&p, 0x1800, zalloc, NULL), -1);
	EXPECT_EQ(deposit_pool_init(&p, TOP, fail_alloc, NULL), -1);
	EXPECT_FALSE(deposit_pool_ready(&p));
	/* An unready pool refuses everything and holds nothing. */
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(0x1000), 1));
	EXPECT_FALSE(deposit_pool_take(&p, &pa));
	EXPECT_EQ(deposit_pool_free(&p), 0u);
}

KTEST(deposit_pool, add_take_bounds_and_doubles)
{
	struct deposit_pool p;
	paddr_t pa;

	ASSERT_EQ(deposit_pool_init(&p, TOP, zalloc, NULL), 0);
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(0x1800), 1));        /* unaligned */
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(TOP), 1));           /* past the end */
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(TOP - 0x1000), 2));  /* runs past the end */
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(0x1000), 0));        /* empty */
	EXPECT_TRUE(deposit_pool_add(&p, paddr_init(0x200000), 512));
	EXPECT_EQ(deposit_pool_free(&p), 512u);
	/* Adding a frame twice is refused and changes nothing (all or nothing). */
	EXPECT_FALSE(deposit_pool_add(&p, paddr_init(0x1ff000), 2));
	EXPECT_EQ(deposit_pool_free(&p), 512u);
	EXPECT_FALSE(deposit_pool_contains(&p, paddr_init(0x1ff000)));
	EXPECT_TRUE(deposit_pool_contains(&p, paddr_init(0x3ff000)));
	for (unsigned int i = 0; i < 512; i++) {
		ASSERT_TRUE(deposit_pool_take(&p, &pa));
		EXPECT_TRUE(paddr_get(pa) >= 0x200000 && paddr_get(pa) < 0x400000);
		EXPECT_FALSE(deposit_pool_contains(&p, pa));
	}
	EXPECT_FALSE(deposit_pool_take(&p, &pa));
	EXPECT_EQ(deposit_pool_free(&p), 0u);
	free(p.bits);
}

KTEST(deposit_pool, randomized_against_model)
{
	static bool model[TOP >> 12];
	struct deposit_pool p;
	uint64_t seed = 0x9e3779b97f4a7c15ull, count = 0;
	paddr_t pa;

	memset(model, 0, sizeof(model));
	ASSERT_EQ(deposit_pool_init(&p, TOP, zalloc, NULL), 0);
	for (unsigned int i = 0; i < 200000; i++) {
		uint64_t f, n;
		bool any = false;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		f = (seed >> 8) % (TOP >> 12);
		n = (seed & 1) ? 1 : 1 + (seed >> 40) % 8;
		if ((seed >> 3) % 3 != 0) {
			bool ok = f + n <= (TOP >> 12);

			for (uint64_t k = 0; ok && k < n; k++) {
				any |= model[f + k];
			}
			ok = ok && !any;
			ASSERT_EQ(deposit_pool_add(&p, paddr_init(f << 12), n), ok);
			for (uint64_t k = 0; ok && k < n; k++) {
				model[f + k] = true;
			}
			count += ok ? n : 0;
		} else if (deposit_pool_take(&p, &pa)) {
			ASSERT_TRUE(model[paddr_get(pa) >> 12]);
			model[paddr_get(pa) >> 12] = false;
			count--;
		} else {
			ASSERT_EQ(count, 0u);
		}
		ASSERT_EQ(deposit_pool_free(&p), count);
	}
	free(p.bits);
}
