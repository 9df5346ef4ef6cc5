/* mm/pgtable on ordinary memory: mappings, W^X, large pages, failure and rollback. */
#include <stdlib.h>
#include <string.h>

#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "mm/pgtable.h"
#include "tests/ktest/ktest.h"

#define POOL_PAGES 256
#define FAKE_PA 0x40000000ull /* "physical" base of the pool's pages */
#define KVA 0xFFFFFFFF80000000ull

static struct page_pool pt_pool;
static void *pt_mem;

static void pool_setup(void)
{
	pt_mem = aligned_alloc(PAGE_SIZE, POOL_PAGES * PAGE_SIZE);
	if (pt_mem == NULL ||
	    page_pool_init_carved(&pt_pool, paddr_init(FAKE_PA), POOL_PAGES,
				  (uint64_t)(uintptr_t)pt_mem - FAKE_PA) != PAGE_ALLOC_OK) {
		abort();
	}
}

static void pool_teardown(void)
{
	free(pt_mem);
	pt_mem = NULL;
}

KTEST(pgtable, map_lookup_unmap_4k)
{
	struct pgtable pt;
	paddr_t pa = paddr_init(0);
	unsigned int prot = 0;
	uint64_t size = 0;
	uint64_t free_before = 0;

	pool_setup();
	free_before = page_pool_free_pages(&pt_pool);
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x5000), paddr_init(0x123000), PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_EXEC, 0),
		  PGTABLE_OK);
	EXPECT_EQ(pt.table_pages, 4);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x5abc), &pa, &prot, &size));
	EXPECT_EQ(paddr_get(pa), 0x123abc);
	EXPECT_EQ(prot, PGTABLE_READ | PGTABLE_EXEC);
	EXPECT_EQ(size, PAGE_SIZE);
	EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(KVA + 0x6000), NULL, NULL, NULL));
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x5000), paddr_init(0x124000), PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_MAPPED);
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(KVA + 0x5000), PAGE_SIZE), PGTABLE_OK);
	EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(KVA + 0x5000), NULL, NULL, NULL));
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(KVA + 0x5000), PAGE_SIZE), PGTABLE_ERR_NOT_MAPPED);
	pgtable_destroy(&pt);
	EXPECT_EQ(page_pool_free_pages(&pt_pool), free_before);
	pool_teardown();
}

KTEST(pgtable, write_and_exec_together_refused)
{
	struct pgtable pt;

	pool_setup();
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x1000), PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0),
		  PGTABLE_ERR_PROT);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x1000), PAGE_SIZE, PGTABLE_WRITE, 0),
		  PGTABLE_ERR_PROT);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x1000), PAGE_SIZE, 0x8 | 1, 0),
		  PGTABLE_ERR_PROT);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x1000), PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE, 0),
		  PGTABLE_OK);
	EXPECT_EQ(pgtable_protect(&pt, vaddr_init(KVA), PAGE_SIZE,
				  PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC),
		  PGTABLE_ERR_PROT);
	EXPECT_EQ(pgtable_protect(&pt, vaddr_init(KVA), PAGE_SIZE, PGTABLE_READ | PGTABLE_EXEC),
		  PGTABLE_OK);
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, leaf_bits_and_encryption_bit)
{
	struct pgtable pt;
	const uint64_t cbit = 1ull << 51;
	const uint64_t *pml4 = NULL;
	paddr_t pa = paddr_init(0);

	pool_setup();
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, cbit), PGTABLE_OK);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x7000), PAGE_SIZE, PGTABLE_READ, 0),
		  PGTABLE_OK);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x1000), paddr_init(0x8000), PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE, PGTABLE_SHARED),
		  PGTABLE_OK);
	pml4 = pt.root;
	EXPECT_NE(pml4[511] & cbit, 0); /* table pointers are private */
	EXPECT_NE(pgtable_root_cr3(&pt) & cbit, 0);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA), &pa, NULL, NULL));
	EXPECT_EQ(paddr_get(pa), 0x7000); /* the C-bit is not part of the address */
	/* A PA that collides with the C-bit is refused. */
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x2000), paddr_init(cbit | 0x9000), PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_BAD_PA);
	/* protect keeps the shared mapping shared and read-only pages NX. */
	EXPECT_EQ(pgtable_protect(&pt, vaddr_init(KVA + 0x1000), PAGE_SIZE, PGTABLE_READ), PGTABLE_OK);
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, large_pages_and_size_mismatch)
{
	struct pgtable pt;
	uint64_t size = 0;
	paddr_t pa = paddr_init(0);

	pool_setup();
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x1000), paddr_init(0x200000), HUGE_PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_ALIGN);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x400000), HUGE_PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE, 0),
		  PGTABLE_OK);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x12345), &pa, NULL, &size));
	EXPECT_EQ(size, HUGE_PAGE_SIZE);
	EXPECT_EQ(paddr_get(pa), 0x412345);
	/* 4 KiB operations inside a 2 MiB leaf are refused, not silently split. */
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x1000), paddr_init(0x1000), PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_MAPPED);
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(KVA + 0x1000), PAGE_SIZE), PGTABLE_ERR_SIZE);
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(KVA), HUGE_PAGE_SIZE), PGTABLE_OK);
	/* ... and a 2 MiB leaf over existing 4 KiB pages is refused. */
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(KVA + 0x3000), paddr_init(0x3000), PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_OK);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x400000), HUGE_PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_MAPPED);
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(KVA), HUGE_PAGE_SIZE), PGTABLE_ERR_SIZE);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(0x400000), 0x3000, PGTABLE_READ, 0),
		  PGTABLE_ERR_SIZE);
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, bad_addresses_refused)
{
	struct pgtable pt;

	pool_setup();
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(0x0000800000000000ull), paddr_init(0), PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_ERR_NONCANONICAL);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA + 8), paddr_init(0), PAGE_SIZE, PGTABLE_READ, 0),
		  PGTABLE_ERR_ALIGN);
	EXPECT_EQ(pgtable_map(&pt, vaddr_init(KVA), paddr_init(1ull << 52), PAGE_SIZE, PGTABLE_READ,
			      0),
		  PGTABLE_ERR_BAD_PA);
	EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(0x0000900000000000ull), NULL, NULL, NULL));
	EXPECT_EQ(pgtable_map_range(&pt, vaddr_init(~0ull - 0xFFF), paddr_init(0), 0x2000,
				    PGTABLE_READ, 0, false),
		  PGTABLE_ERR_ALIGN);
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, map_range_uses_large_pages_where_aligned)
{
	struct pgtable pt;
	uint64_t size = 0;

	pool_setup();
	ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
	/* 1 MiB of 4 KiB pages up to the 2 MiB boundary, then two 2 MiB pages, then 4 KiB. */
	ASSERT_EQ(pgtable_map_range(&pt, vaddr_init(KVA + 0x100000), paddr_init(0x100000),
				    0x100000 + 0x400000 + 0x3000, PGTABLE_READ | PGTABLE_WRITE, 0,
				    true),
		  PGTABLE_OK);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x1ff000), NULL, NULL, &size));
	EXPECT_EQ(size, PAGE_SIZE);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x200000), NULL, NULL, &size));
	EXPECT_EQ(size, HUGE_PAGE_SIZE);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x5ff000), NULL, NULL, &size));
	EXPECT_EQ(size, HUGE_PAGE_SIZE);
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(KVA + 0x602000), NULL, NULL, &size));
	EXPECT_EQ(size, PAGE_SIZE);
	EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(KVA + 0x603000), NULL, NULL, NULL));
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, map_range_is_all_or_nothing_under_allocation_failure)
{
	struct pgtable pt;
	uint64_t len = 3 * HUGE_PAGE_SIZE; /* crosses into a second page table below one PD */
	unsigned int failures_seen = 0;

	pool_setup();
	for (unsigned int n = 1; n <= 8; n++) {
		uint64_t free_before = 0;
		enum pgtable_result r = PGTABLE_OK;

		ASSERT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_OK);
		free_before = page_pool_free_pages(&pt_pool);
		fault_inject_fail_nth(n);
		r = pgtable_map_range(&pt, vaddr_init(KVA + 0x1ff000), paddr_init(0x1ff000), len,
				      PGTABLE_READ, 0, false);
		fault_inject_reset();
		if (r == PGTABLE_ERR_NOMEM) {
			failures_seen++;
			/* Nothing stays mapped; only empty tables may remain. */
			for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
				EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(KVA + 0x1ff000 + off),
							    NULL, NULL, NULL));
			}
		} else {
			EXPECT_EQ(r, PGTABLE_OK);
		}
		EXPECT_LE(page_pool_free_pages(&pt_pool), free_before);
		pgtable_destroy(&pt);
	}
	EXPECT_GE(failures_seen, 3); /* PDPT, PD and the page tables each failed once */
	pool_teardown();
}

KTEST(pgtable, init_fails_cleanly_without_memory)
{
	struct pgtable pt;
	uint64_t free_before = 0;

	pool_setup();
	free_before = page_pool_free_pages(&pt_pool);
	fault_inject_fail_nth(1);
	EXPECT_EQ(pgtable_init(&pt, &pt_pool, 0), PGTABLE_ERR_NOMEM);
	fault_inject_reset();
	EXPECT_EQ(page_pool_free_pages(&pt_pool), free_before);
	EXPECT_STREQ(pgtable_result_name(PGTABLE_ERR_PROT), "invalid protection (W^X)");
	pool_teardown();
}

KTEST(pgtable, nested_tables_set_user_and_allow_rwx)
{
	struct pgtable pt;
	const uint64_t *pml4 = NULL;
	unsigned int prot = 0;

	pool_setup();
	ASSERT_EQ(pgtable_init_nested(&pt, &pt_pool, 0), PGTABLE_OK);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(0x200000), paddr_init(0x200000), HUGE_PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0),
		  PGTABLE_OK);
	pml4 = pt.root;
	EXPECT_NE(pml4[0] & (1ull << 2), 0); /* U on table pointers: NPT walks are user walks */
	ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(0x200123), NULL, &prot, NULL));
	EXPECT_EQ(prot, PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC);
	pgtable_destroy(&pt);
	pool_teardown();
}

KTEST(pgtable, split_large_keeps_every_page)
{
	struct pgtable pt;
	paddr_t pa = paddr_init(0);
	unsigned int prot = 0;
	uint64_t size = 0;

	pool_setup();
	ASSERT_EQ(pgtable_init_nested(&pt, &pt_pool, 0), PGTABLE_OK);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(0x400000), paddr_init(0x800000), HUGE_PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC, 0),
		  PGTABLE_OK);
	EXPECT_EQ(pgtable_split_large(&pt, vaddr_init(0x401000)), PGTABLE_ERR_ALIGN);
	ASSERT_EQ(pgtable_split_large(&pt, vaddr_init(0x400000)), PGTABLE_OK);
	EXPECT_EQ(pgtable_split_large(&pt, vaddr_init(0x400000)), PGTABLE_ERR_SIZE);
	for (uint64_t off = 0; off < HUGE_PAGE_SIZE; off += PAGE_SIZE) {
		ASSERT_TRUE(pgtable_lookup(&pt, vaddr_init(0x400000 + off), &pa, &prot, &size));
		ASSERT_EQ(paddr_get(pa), 0x800000 + off);
		ASSERT_EQ(size, PAGE_SIZE);
		ASSERT_EQ(prot, PGTABLE_READ | PGTABLE_WRITE | PGTABLE_EXEC);
	}
	EXPECT_EQ(pgtable_unmap(&pt, vaddr_init(0x405000), PAGE_SIZE), PGTABLE_OK);
	EXPECT_FALSE(pgtable_lookup(&pt, vaddr_init(0x405000), NULL, NULL, NULL));
	EXPECT_TRUE(pgtable_lookup(&pt, vaddr_init(0x406000), NULL, NULL, NULL));
	EXPECT_EQ(pgtable_split_large(&pt, vaddr_init(0x600000)), PGTABLE_ERR_NOT_MAPPED);
	fault_inject_fail_nth(1);
	ASSERT_EQ(pgtable_map(&pt, vaddr_init(0x800000), paddr_init(0x800000), HUGE_PAGE_SIZE,
			      PGTABLE_READ, 0),
		  PGTABLE_OK); /* the PD exists: no allocation, the armed failure stays pending */
	EXPECT_EQ(pgtable_split_large(&pt, vaddr_init(0x800000)), PGTABLE_ERR_NOMEM);
	fault_inject_reset();
	EXPECT_TRUE(pgtable_lookup(&pt, vaddr_init(0x800000), NULL, NULL, &size));
	EXPECT_EQ(size, HUGE_PAGE_SIZE);
	pgtable_destroy(&pt);
	pool_teardown();
}
