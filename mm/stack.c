#include "mm/stack.h"

#include <stdbool.h>

#include "kernel/check.h"
#include "mm/kernel_map.h"
#include "mm/page_alloc.h"

static bool stack_slot_used[STACK_SLOTS];

int stack_alloc(size_t page_count, struct stack *s)
{
	struct page_pool *pool = page_alloc_kernel_pool();
	size_t slot = 0;
	void *pages = NULL;
	uint64_t bottom = 0;

	if (page_count == 0 || page_count > STACK_MAX_PAGES) {
		return -1;
	}
	while (slot < STACK_SLOTS && stack_slot_used[slot]) {
		slot++;
	}
	if (slot == STACK_SLOTS) {
		return -1;
	}
	pages = page_alloc_pages(pool, page_count, PAGE_ALLOC_ZERO);
	if (pages == NULL) {
		return -1;
	}
	/* The stack ends at the top of its slot; everything below it, guard page included, stays
	 * unmapped. */
	bottom = STACK_AREA_BASE + (slot + 1) * STACK_SLOT_SIZE - page_count * PAGE_SIZE;
	if (pgtable_map_range(kernel_map_pgtable(), vaddr_init(bottom),
			      page_pool_va_to_pa(pool, pages), page_count * PAGE_SIZE,
			      PGTABLE_READ | PGTABLE_WRITE, 0, false) != PGTABLE_OK) {
		page_free_pages(pool, pages, page_count);
		return -1;
	}
	stack_slot_used[slot] = true;
	s->bottom = bottom;
	s->top = bottom + page_count * PAGE_SIZE;
	s->pages = pages;
	s->page_count = page_count;
	return 0;
}

void stack_free(struct stack *s)
{
	size_t slot = (size_t)((s->bottom - STACK_AREA_BASE) / STACK_SLOT_SIZE);

	CHECK(s->bottom >= STACK_AREA_BASE && slot < STACK_SLOTS && stack_slot_used[slot]);
	for (uint64_t va = s->bottom; va < s->top; va += PAGE_SIZE) {
		CHECK(pgtable_unmap(kernel_map_pgtable(), vaddr_init(va), PAGE_SIZE) == PGTABLE_OK);
	}
	page_free_pages(page_alloc_kernel_pool(), s->pages, s->page_count);
	stack_slot_used[slot] = false;
	s->bottom = 0;
	s->top = 0;
	s->pages = NULL;
	s->page_count = 0;
}
