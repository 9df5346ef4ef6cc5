/*
 * Memory management inside the running kernel: W^X and guard pages (checked with probes that
 * expect the fault), the temporary window, guest_mem refusals, allocator and ledger state.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/fallible.h"
#include "kernel/image_layout.h"
#include "kernel/layout.h"
#include "kernel/string.h"
#include "mm/fault_inject.h"
#include "mm/guest_mem.h"
#include "mm/kernel_map.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/page_state.h"
#include "mm/slab.h"
#include "mm/stack.h"
#include "mm/tempmap.h"
#include "tests/ktest/ktest.h"

#define VECTOR_PF 14
#define GUEST_TEST_GPA 0x200000ull /* guest RAM below Bastion's region */

static uint8_t data_ret_instruction[16] = { 0xC3 }; /* RET, in .data: must not execute */
static const uint8_t rodata_bytes[16] = { 1, 2, 3 };

static uint64_t fault_vector(uint64_t probe_result)
{
	return probe_result == ARCH_FAULT_NONE ? ~0ull : ARCH_FAULT_VECTOR(probe_result);
}

__attribute__((noinline)) static int text_probe_target(int x)
{
	return x + 1;
}

KTEST(wx, write_to_text_faults)
{
	volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)&text_probe_target;

	EXPECT_EQ(fault_vector(arch_probe_write(text, 0xCC)), VECTOR_PF);
	EXPECT_EQ(text_probe_target(1), 2); /* text unchanged */
}

KTEST(wx, exec_from_data_faults)
{
	EXPECT_EQ(fault_vector(arch_probe_exec(data_ret_instruction)), VECTOR_PF);
}

KTEST(wx, exec_from_stack_and_heap_faults)
{
	uint8_t stack_ret[8] = { 0xC3 };
	uint8_t *heap_ret = kmalloc(16);

	ASSERT_NOT_NULL(heap_ret);
	heap_ret[0] = 0xC3;
	EXPECT_EQ(fault_vector(arch_probe_exec(stack_ret)), VECTOR_PF);
	EXPECT_EQ(fault_vector(arch_probe_exec(heap_ret)), VECTOR_PF);
	kfree(heap_ret);
}

KTEST(wx, write_to_rodata_faults)
{
	EXPECT_EQ(fault_vector(arch_probe_write((volatile uint8_t *)(uintptr_t)rodata_bytes, 9)),
		  VECTOR_PF);
	EXPECT_EQ(rodata_bytes[0], 1);
}

KTEST(wx, probes_pass_on_legal_accesses)
{
	uint8_t local = 0;

	EXPECT_EQ(arch_probe_write(&local, 7), ARCH_FAULT_NONE);
	EXPECT_EQ(local, 7);
	EXPECT_EQ(arch_probe_read(rodata_bytes), ARCH_FAULT_NONE);
	EXPECT_EQ(arch_probe_exec((const void *)(uintptr_t)&text_probe_target), ARCH_FAULT_NONE);
}

KTEST(wx, every_kernel_mapping_is_w_xor_x)
{
	const struct pgtable *pt = kernel_map_pgtable();

	for (uint64_t va = BASTION_VIRT_BASE; va < BASTION_VIRT_BASE + BASTION_REGION_SIZE;
	     va += PAGE_SIZE) {
		unsigned int prot = 0;

		if (pgtable_lookup(pt, vaddr_init(va), NULL, &prot, NULL)) {
			ASSERT_FALSE((prot & PGTABLE_WRITE) != 0 && (prot & PGTABLE_EXEC) != 0);
			if ((prot & PGTABLE_EXEC) != 0) {
				EXPECT_GE(va, layout_text_start());
				EXPECT_LT(va, layout_text_end());
			}
		}
	}
}

KTEST(mm_guard, page_below_boot_stack_faults)
{
	volatile uint8_t *below = (volatile uint8_t *)(uintptr_t)(layout_boot_stack_bottom() - 8);

	EXPECT_EQ(fault_vector(arch_probe_read(below)), VECTOR_PF);
	EXPECT_EQ(fault_vector(arch_probe_write(below, 0)), VECTOR_PF);
	/* The stack itself is usable up to its bottom. */
	EXPECT_EQ(arch_probe_read((const void *)(uintptr_t)layout_boot_stack_bottom()),
		  ARCH_FAULT_NONE);
}

KTEST(mm_guard, boot_tables_and_identity_map_are_gone)
{
	/* The boot page tables and parameter pages are no longer mapped ... */
	EXPECT_EQ(fault_vector(arch_probe_read((const void *)(uintptr_t)(
			  BASTION_VIRT_BASE + BASTION_BOOT_PML4_OFFSET))),
		  VECTOR_PF);
	EXPECT_EQ(fault_vector(arch_probe_read((const void *)(uintptr_t)BASTION_VIRT_BASE)),
		  VECTOR_PF);
	/* ... nor is the identity map the entry stub used. */
	EXPECT_EQ(fault_vector(arch_probe_read((const void *)(uintptr_t)(
			  BASTION_REGION_GPA + BASTION_KERNEL_OFFSET))),
		  VECTOR_PF);
}

KTEST(mm_guard, copy_fallible_reports_faults)
{
	uint8_t buf[16];

	EXPECT_EQ(fault_vector(arch_copy_fallible(buf, (const void *)(uintptr_t)0x1000, 16)),
		  VECTOR_PF);
	EXPECT_EQ(arch_copy_fallible(buf, rodata_bytes, 16), ARCH_FAULT_NONE);
	EXPECT_MEMEQ(buf, rodata_bytes, 16);
}

KTEST(mm_cpu, protection_features_enabled)
{
	struct cpuid_regs r = cpu_cpuid(7, 0);

	EXPECT_NE(cpu_read_cr0() & CR0_WP, 0);
	EXPECT_NE(cpu_rdmsr(MSR_EFER) & EFER_NXE, 0);
	EXPECT_EQ((cpu_read_cr4() & CR4_SMEP) != 0, (r.ebx & (1u << 7)) != 0);
	EXPECT_EQ((cpu_read_cr4() & CR4_SMAP) != 0, (r.ebx & (1u << 20)) != 0);
}

KTEST(tempmap, maps_a_guest_page)
{
	uint8_t *a = tempmap_map(paddr_init(GUEST_TEST_GPA), PAGE_SIZE, 0);
	uint8_t *b = NULL;

	ASSERT_NOT_NULL(a);
	EXPECT_GE((uint64_t)(uintptr_t)a, TEMPMAP_BASE);
	a[5] = 0x5a;
	b = tempmap_map(paddr_init(GUEST_TEST_GPA), PAGE_SIZE, 0); /* a second alias */
	ASSERT_NOT_NULL(b);
	EXPECT_NE(a, b);
	EXPECT_EQ(b[5], 0x5a);
	EXPECT_EQ(tempmap_busy_count(), 2);
	tempmap_unmap(b);
	tempmap_unmap(a);
	EXPECT_EQ(tempmap_busy_count(), 0);
	EXPECT_EQ(fault_vector(arch_probe_read(a)), VECTOR_PF); /* unmapped again */
}

KTEST(tempmap, slots_run_out_and_recover)
{
	void *slots[TEMPMAP_SLOTS_4K];

	for (unsigned int i = 0; i < TEMPMAP_SLOTS_4K; i++) {
		slots[i] = tempmap_map(paddr_init(GUEST_TEST_GPA + i * PAGE_SIZE), PAGE_SIZE, 0);
		ASSERT_NOT_NULL(slots[i]);
	}
	EXPECT_NULL(tempmap_map(paddr_init(GUEST_TEST_GPA), PAGE_SIZE, 0));
	for (unsigned int i = 0; i < TEMPMAP_SLOTS_4K; i++) {
		tempmap_unmap(slots[i]);
	}
	EXPECT_EQ(tempmap_busy_count(), 0);
	EXPECT_NULL(tempmap_map(paddr_init(GUEST_TEST_GPA + 1), PAGE_SIZE, 0)); /* misaligned */
}

KTEST(tempmap, two_megabyte_slot)
{
	uint8_t *p = tempmap_map(paddr_init(0x400000), HUGE_PAGE_SIZE, 0);

	ASSERT_NOT_NULL(p);
	p[HUGE_PAGE_SIZE - 1] = 0x77;
	EXPECT_NULL(tempmap_map(paddr_init(0x600000), HUGE_PAGE_SIZE, 0)); /* one per CPU */
	tempmap_unmap(p);
	p = tempmap_map(paddr_init(0x400000), HUGE_PAGE_SIZE, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(p[HUGE_PAGE_SIZE - 1], 0x77);
	tempmap_unmap(p);
}

KTEST(guest_mem, copy_round_trip_across_pages)
{
	uint8_t out[300];
	uint8_t in[300];
	gpa_t gpa = gpa_init(GUEST_TEST_GPA + PAGE_SIZE - 100); /* crosses a page boundary */

	for (unsigned int i = 0; i < sizeof(out); i++) {
		out[i] = (uint8_t)(i * 7 + 1);
	}
	ASSERT_EQ(guest_copy_to(gpa, out, sizeof(out)), GUEST_MEM_OK);
	memset(in, 0, sizeof(in));
	ASSERT_EQ(guest_copy_from(gpa, in, sizeof(in)), GUEST_MEM_OK);
	EXPECT_MEMEQ(in, out, sizeof(out));
	EXPECT_EQ(tempmap_busy_count(), 0);
	EXPECT_EQ(guest_copy_from(gpa, in, 0), GUEST_MEM_OK);
}

KTEST(guest_mem, refuses_bastion_memory)
{
	uint8_t buf[16];

	EXPECT_EQ(guest_copy_from(gpa_init(BASTION_REGION_GPA), buf, 1), GUEST_MEM_ERR_BASTION);
	EXPECT_EQ(guest_copy_to(gpa_init(BASTION_REGION_GPA + BASTION_KERNEL_OFFSET), buf, 16),
		  GUEST_MEM_ERR_BASTION);
	EXPECT_EQ(guest_copy_from(gpa_init(BASTION_REGION_GPA + BASTION_REGION_SIZE - 1), buf, 1),
		  GUEST_MEM_ERR_BASTION);
	/* A range that starts in guest memory and runs into the region. */
	EXPECT_EQ(guest_copy_from(gpa_init(BASTION_REGION_GPA - 8), buf, 16),
		  GUEST_MEM_ERR_BASTION);
	/* Just outside the region on both sides is fine. */
	EXPECT_EQ(guest_copy_from(gpa_init(BASTION_REGION_GPA - 16), buf, 16), GUEST_MEM_OK);
	EXPECT_EQ(guest_copy_from(gpa_init(BASTION_REGION_GPA + BASTION_REGION_SIZE), buf, 16),
		  GUEST_MEM_OK);
}

KTEST(guest_mem, refuses_overflowing_and_absent_ranges)
{
	uint8_t buf[16];
	struct guest_mapping m;

	EXPECT_EQ(guest_copy_from(gpa_init(~0ull - 7), buf, 16), GUEST_MEM_ERR_RANGE);
	EXPECT_EQ(guest_copy_to(gpa_init(~0ull), buf, 2), GUEST_MEM_ERR_RANGE);
	/* 512 MiB of RAM: 1 GiB is not RAM, and neither is the top of the address space. */
	EXPECT_EQ(guest_copy_from(gpa_init(0x40000000), buf, 16), GUEST_MEM_ERR_NOT_GUEST);
	EXPECT_EQ(guest_copy_from(gpa_init(0x1FFFFFF8ull), buf, 16), GUEST_MEM_ERR_NOT_GUEST);
	EXPECT_EQ(guest_map(gpa_init(GUEST_TEST_GPA), 0, &m), GUEST_MEM_ERR_RANGE);
	EXPECT_EQ(guest_map(gpa_init(0x1FF000), 0x2000, &m), GUEST_MEM_ERR_TOO_LARGE);
	/* Mapping next to Bastion's region works; inside it is refused. */
	EXPECT_EQ(guest_map(gpa_init(BASTION_REGION_GPA - 0x100000), 0x100, &m),
		  GUEST_MEM_OK);
	guest_unmap(&m);
	EXPECT_EQ(guest_map(gpa_init(BASTION_REGION_GPA + 0x1000), 0x100, &m),
		  GUEST_MEM_ERR_BASTION);
	EXPECT_EQ(tempmap_busy_count(), 0);
}

KTEST(guest_mem, map_gives_the_same_bytes_as_copy)
{
	struct guest_mapping m;
	uint8_t v = 0xA7;
	uint8_t back = 0;

	ASSERT_EQ(guest_copy_to(gpa_init(GUEST_TEST_GPA + 0x30), &v, 1), GUEST_MEM_OK);
	ASSERT_EQ(guest_map(gpa_init(GUEST_TEST_GPA + 0x30), 1, &m), GUEST_MEM_OK);
	EXPECT_EQ(*(volatile uint8_t *)m.ptr, 0xA7);
	*(volatile uint8_t *)m.ptr = 0x3C;
	guest_unmap(&m);
	ASSERT_EQ(guest_copy_from(gpa_init(GUEST_TEST_GPA + 0x30), &back, 1), GUEST_MEM_OK);
	EXPECT_EQ(back, 0x3C);
	/* 2 MiB mapping of a fully guest chunk. */
	ASSERT_EQ(guest_map(gpa_init(0x400000 + 0x1000), 0x3000, &m), GUEST_MEM_OK);
	EXPECT_EQ((uint64_t)(uintptr_t)m.ptr - (uint64_t)(uintptr_t)m.base, 0x1000);
	guest_unmap(&m);
}

KTEST(mm_alloc, allocator_statistics_after_boot)
{
	struct page_pool_stats before;
	struct page_pool_stats during;
	struct page_pool_stats after;
	const char *reason = NULL;
	void *p = NULL;

	page_pool_get_stats(page_alloc_kernel_pool(), &before);
	EXPECT_GT(before.total_pages, 3500);
	EXPECT_GT(before.free_pages, 3000);
	p = page_alloc(page_alloc_kernel_pool(), 3, PAGE_ALLOC_ZERO);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(((uint8_t *)p)[PAGE_SIZE * 8 - 1], 0);
	page_pool_get_stats(page_alloc_kernel_pool(), &during);
	EXPECT_EQ(during.free_pages, before.free_pages - 8);
	page_free(page_alloc_kernel_pool(), p, 3);
	page_pool_get_stats(page_alloc_kernel_pool(), &after);
	EXPECT_EQ(after.free_pages, before.free_pages);
	EXPECT_TRUE(page_pool_check(page_alloc_kernel_pool(), &reason));
}

KTEST(mm_alloc, kmalloc_fails_cleanly_under_injection)
{
	void *p = NULL;

	fault_inject_fail_nth(1);
	p = kmalloc(64);
	fault_inject_reset();
	EXPECT_NULL(p);
	p = kmalloc(64);
	EXPECT_NOT_NULL(p);
	kfree(p);
	fault_inject_fail_nth(1);
	EXPECT_NULL(page_alloc(page_alloc_kernel_pool(), 0, 0));
	fault_inject_reset();
}

KTEST(mm_ledger, boot_state_of_the_vm)
{
	struct page_state *ps = mm_page_state();
	struct page_state_record r;
	const char *reason = NULL;

	ASSERT_EQ(page_state_get(ps, gpa_init(BASTION_REGION_GPA + 0x5000), &r), PS_OK);
	EXPECT_EQ(page_state_record_owner(r), PS_OWNER_BASTION);
	ASSERT_EQ(page_state_get(ps, gpa_init(GUEST_TEST_GPA), &r), PS_OK);
	EXPECT_EQ(page_state_record_owner(r), PS_OWNER_GUEST);
	EXPECT_TRUE(page_state_record_validated(r));
	EXPECT_EQ(page_state_get(ps, gpa_init(0x40000000), &r), PS_ERR_NOT_RAM);
	EXPECT_EQ(page_state_apply(ps, gpa_init(BASTION_REGION_GPA), PAGE_SIZE_4K, PS_OP_VALIDATE, 0),
		  PS_ERR_BASTION_PAGE);
	EXPECT_EQ(page_state_apply(ps, gpa_init(BASTION_REGION_GPA), PAGE_SIZE_2M,
				   PS_OP_ASSIGN_BASTION, 0),
		  PS_ERR_SEALED);
	EXPECT_EQ(page_state_check(ps, &reason), PS_OK);
}

KTEST(mm_stack, allocated_stacks_have_guard_pages)
{
	struct stack s;
	uint64_t free_before = page_pool_free_pages(page_alloc_kernel_pool());

	EXPECT_EQ(stack_alloc(0, &s), -1);
	EXPECT_EQ(stack_alloc(STACK_MAX_PAGES + 1, &s), -1);
	ASSERT_EQ(stack_alloc(4, &s), 0);
	EXPECT_EQ(s.top - s.bottom, 4 * PAGE_SIZE);
	EXPECT_EQ(arch_probe_write((volatile void *)(uintptr_t)s.bottom, 1), ARCH_FAULT_NONE);
	EXPECT_EQ(arch_probe_write((volatile void *)(uintptr_t)(s.top - 1), 1), ARCH_FAULT_NONE);
	EXPECT_EQ(fault_vector(arch_probe_read((const void *)(uintptr_t)(s.bottom - 1))), VECTOR_PF);
	stack_free(&s);
	EXPECT_EQ(page_pool_free_pages(page_alloc_kernel_pool()), free_before);
	fault_inject_fail_nth(1);
	EXPECT_EQ(stack_alloc(2, &s), -1);
	fault_inject_reset();
	EXPECT_EQ(page_pool_free_pages(page_alloc_kernel_pool()), free_before);
}
