/*
 * Paging-structure and TLB primitives (APM vol 2, chapter 5).
 *
 * Under BASTION_HOST (host unit tests of mm/pgtable) the TLB and CR3 operations do nothing, so
 * the page-table code can be tested on ordinary memory.
 */
#pragma once

#include <stdint.h>

/* Page-table entry bits (4-level long-mode paging, APM vol 2, 5.4). */
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_USER (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY (1ull << 6)
#define PTE_LARGE (1ull << 7) /* PS: 2 MiB page in a PD entry */
#define PTE_GLOBAL (1ull << 8)
#define PTE_NX (1ull << 63)
/* Physical-address field (bits 51:12); the SNP C-bit, when present, lies inside it. */
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define PTE_LARGE_ADDR_MASK 0x000FFFFFFFE00000ull

#ifdef BASTION_HOST

static inline void arch_tlb_flush_page(uint64_t va)
{
	(void)va;
}

static inline void arch_tlb_flush_all(void)
{
}

static inline void arch_write_cr3(uint64_t cr3)
{
	(void)cr3;
}

#else

/* INVLPG: drops the TLB entry for va on this CPU. Never faults. */
static inline void arch_tlb_flush_page(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Reloads CR3: drops every non-global TLB entry on this CPU. */
static inline void arch_tlb_flush_all(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3)::"memory");
}

/* Switches to the page tables rooted at physical address cr3. #GP on reserved bits. */
static inline void arch_write_cr3(uint64_t cr3)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

#endif
