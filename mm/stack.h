/*
 * Kernel stacks with guard pages.
 *
 * Each stack lives in its own 64 KiB slot of a dedicated virtual area: the lowest page of the
 * slot is never mapped, the stack's pages sit above it. Running off the bottom of a stack
 * faults on the guard page instead of corrupting whatever lies below. The pages come from the
 * kernel page pool (they stay mapped in the linear map too, which is harmless: only the stack
 * VA has the guard).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define STACK_AREA_BASE 0xFFFFFFFFC0000000ull /* 1 GiB above the kernel region's 2 GiB slot */
#define STACK_SLOT_SIZE 0x10000ull            /* guard page + up to 15 stack pages */
#define STACK_SLOTS 1024
#define STACK_MAX_PAGES 15

struct stack {
	uint64_t bottom; /* lowest mapped byte */
	uint64_t top;    /* one past the highest byte: the initial RSP */
	void *pages;     /* the pool pages backing it */
	size_t page_count;
};

/*
 * Allocates a zeroed stack of page_count pages (1..STACK_MAX_PAGES) with a guard page below.
 * Returns 0 with *s filled, or -1 (nothing allocated) if the count is bad, no slot is free,
 * or memory runs out.
 */
int stack_alloc(size_t page_count, struct stack *s);

/* Unmaps and frees a stack from stack_alloc(). It must not be in use. */
void stack_free(struct stack *s);
