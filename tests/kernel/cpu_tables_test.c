/* The boot CPU runs on Bastion's own GDT, TSS and IDT after cpu_tables_init(). */
#include "arch/x86/cpu.h"
#include "arch/x86/cpu_tables.h"
#include "arch/x86/fallible.h"
#include "mm/stack.h"
#include "kernel/image_layout.h"
#include "tests/ktest/ktest.h"

KTEST(cpu_tables, idt_loaded_in_kernel_memory)
{
	struct cpu_descriptor_table idtr = cpu_sidt();

	EXPECT_EQ(idtr.limit, 32 * 16 - 1);
	EXPECT_GE(idtr.base, BASTION_VIRT_BASE);
	EXPECT_LT(idtr.base, BASTION_VIRT_BASE + BASTION_REGION_SIZE);
}

KTEST(cpu_tables, gdt_and_tss_loaded)
{
	struct cpu_descriptor_table gdtr = cpu_sgdt();

	EXPECT_EQ(gdtr.limit, 5 * 8 - 1);
	EXPECT_GE(gdtr.base, BASTION_VIRT_BASE);
	EXPECT_EQ(cpu_str(), GDT_TSS);
}

KTEST(cpu_tables, ist_stacks_are_guarded)
{
	for (unsigned int ist = 1; ist <= 3; ist++) {
		uint64_t bottom = 0;
		uint64_t top = 0;

		cpu_tables_ist_stack(ist, &bottom, &top);
		EXPECT_GE(bottom, STACK_AREA_BASE);
		EXPECT_EQ(top - bottom, 16384);
		EXPECT_EQ(top & 15, 0);
		/* Usable to the bottom, and a guard page below. */
		EXPECT_EQ(arch_probe_write((volatile void *)(uintptr_t)bottom, 0), ARCH_FAULT_NONE);
		EXPECT_EQ(arch_probe_read((const void *)(uintptr_t)(bottom - 1)), 14 + 1);
	}
}

KTEST(cpu_tables, long_mode_paging_state)
{
	EXPECT_NE(cpu_read_cr0() & CR0_PG, 0);
	EXPECT_NE(cpu_read_cr0() & CR0_WP, 0);
	EXPECT_NE(cpu_read_cr4() & CR4_PAE, 0);
	EXPECT_NE(cpu_rdmsr(MSR_EFER) & EFER_LMA, 0);
	EXPECT_NE(cpu_rdmsr(MSR_EFER) & EFER_NXE, 0);
	/* Bastion left the boot page tables for its own (mm/kernel_map.c). */
	EXPECT_NE(cpu_read_cr3(), BASTION_REGION_GPA + BASTION_BOOT_PML4_OFFSET);
}
