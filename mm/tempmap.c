/*
 * Window layout (TEMPMAP_BASE, one PD's worth = 1 GiB):
 *   PD entries 0..7    page tables holding the 4 KiB slots: CPU c owns 16 consecutive slots
 *                      starting at TEMPMAP_BASE + c * 16 * 4 KiB (256 CPUs x 16 = 4096 slots)
 *   PD entries 256..511  2 MiB slots: CPU c owns TEMPMAP_BASE + 512 MiB + c * 2 MiB
 */
#include "mm/tempmap.h"

#include <stdbool.h>

#include "kernel/bitops.h"
#include "kernel/check.h"
#include "mm/pgtable.h"

#define TEMPMAP_4K_SPAN ((uint64_t)TEMPMAP_MAX_CPUS * TEMPMAP_SLOTS_4K * PAGE_SIZE)
#define TEMPMAP_2M_BASE (TEMPMAP_BASE + 512ull * 1024 * 1024)

_Static_assert(TEMPMAP_4K_SPAN <= 512ull * 1024 * 1024, "4 KiB slots fit below the 2 MiB slots");
_Static_assert(TEMPMAP_MAX_CPUS * TEMPMAP_SLOTS_2M <= 256, "2 MiB slots fit in the PD");
_Static_assert(TEMPMAP_SLOTS_4K <= 16, "busy bitmap is 16 bits");

struct tempmap_cpu {
	uint16_t busy_4k;
	bool busy_2m;
};

static struct pgtable *tempmap_pt;
static struct tempmap_cpu tempmap_cpus[TEMPMAP_MAX_CPUS];

/* Until SMP bring-up there is one CPU, index 0; per-CPU data will supply the index then. */
static unsigned int tempmap_cpu_index(void)
{
	return 0;
}

static uint64_t slot_va_4k(unsigned int cpu, unsigned int slot)
{
	return TEMPMAP_BASE + ((uint64_t)cpu * TEMPMAP_SLOTS_4K + slot) * PAGE_SIZE;
}

static uint64_t slot_va_2m(unsigned int cpu)
{
	return TEMPMAP_2M_BASE + (uint64_t)cpu * HUGE_PAGE_SIZE;
}

int tempmap_init(struct pgtable *pt)
{
	tempmap_pt = pt;
	/* Map and unmap one page in every 2 MiB span of 4 KiB slots: that creates (and keeps)
	 * the page tables, so later mappings never allocate. */
	for (uint64_t va = TEMPMAP_BASE; va < TEMPMAP_BASE + TEMPMAP_4K_SPAN; va += HUGE_PAGE_SIZE) {
		if (pgtable_map(pt, vaddr_init(va), paddr_init(0), PAGE_SIZE, PGTABLE_READ, 0) !=
		    PGTABLE_OK) {
			return -1;
		}
		CHECK(pgtable_unmap(pt, vaddr_init(va), PAGE_SIZE) == PGTABLE_OK);
	}
	return 0;
}

void *tempmap_map(paddr_t pa, uint64_t size, unsigned int flags)
{
	struct tempmap_cpu *c = &tempmap_cpus[tempmap_cpu_index()];
	unsigned int map_flags = (flags & TEMPMAP_SHARED) != 0 ? PGTABLE_SHARED : 0;
	uint64_t va = 0;

	if (tempmap_pt == NULL || (flags & ~TEMPMAP_SHARED) != 0) {
		return NULL;
	}
	if (size == PAGE_SIZE) {
		unsigned int slot = 0;

		while (slot < TEMPMAP_SLOTS_4K && (c->busy_4k & (1u << slot)) != 0) {
			slot++;
		}
		if (slot == TEMPMAP_SLOTS_4K) {
			return NULL;
		}
		va = slot_va_4k(tempmap_cpu_index(), slot);
		if (pgtable_map(tempmap_pt, vaddr_init(va), pa, size, PGTABLE_READ | PGTABLE_WRITE,
				map_flags) != PGTABLE_OK) {
			return NULL;
		}
		c->busy_4k |= (uint16_t)(1u << slot);
		return (void *)(uintptr_t)va;
	}
	if (size == HUGE_PAGE_SIZE) {
		if (c->busy_2m) {
			return NULL;
		}
		va = slot_va_2m(tempmap_cpu_index());
		if (pgtable_map(tempmap_pt, vaddr_init(va), pa, size, PGTABLE_READ | PGTABLE_WRITE,
				map_flags) != PGTABLE_OK) {
			return NULL;
		}
		c->busy_2m = true;
		return (void *)(uintptr_t)va;
	}
	return NULL;
}

void tempmap_unmap(void *p)
{
	unsigned int cpu = tempmap_cpu_index();
	struct tempmap_cpu *c = &tempmap_cpus[cpu];
	uint64_t va = (uint64_t)(uintptr_t)p;

	if (va == slot_va_2m(cpu)) {
		CHECK(c->busy_2m);
		CHECK(pgtable_unmap(tempmap_pt, vaddr_init(va), HUGE_PAGE_SIZE) == PGTABLE_OK);
		c->busy_2m = false;
		return;
	}
	CHECK(va >= slot_va_4k(cpu, 0) && va < slot_va_4k(cpu, TEMPMAP_SLOTS_4K) &&
	      addr_is_aligned(va, PAGE_SIZE));
	unsigned int slot = (unsigned int)((va - slot_va_4k(cpu, 0)) / PAGE_SIZE);

	CHECK((c->busy_4k & (1u << slot)) != 0);
	CHECK(pgtable_unmap(tempmap_pt, vaddr_init(va), PAGE_SIZE) == PGTABLE_OK);
	c->busy_4k &= (uint16_t)~(1u << slot);
}

unsigned int tempmap_busy_count(void)
{
	const struct tempmap_cpu *c = &tempmap_cpus[tempmap_cpu_index()];

	return bit_count64(c->busy_4k) + (c->busy_2m ? 1u : 0u);
}
