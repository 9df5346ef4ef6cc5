/*
 * GDT/TSS/IDT setup (APM vol 2: 4.8 long-mode segment descriptors, 12.2.5 TSS, 8.9 IDT).
 */
#include "arch/x86/cpu_tables.h"

#include <stddef.h>

#include "kernel/image_layout.h"
#include "kernel/panic.h"
#include "mm/stack.h"

#define IST_STACK_SIZE 16384

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == 104, "APM vol 2, figure 12-8");
_Static_assert(offsetof(struct tss64, ist) == 0x24, "APM vol 2, figure 12-8");

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

_Static_assert(sizeof(struct idt_gate) == 16, "APM vol 2, figure 4-24");

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* The boot GDT in entry.asm uses the same numbers; entry.inc repeats them for nasm. */
_Static_assert(BASTION_BOOT_CS32 == 0x08 && BASTION_BOOT_DS == 0x10 && BASTION_BOOT_CS64 == 0x18,
	       "arch/x86/entry.inc selectors");

#define IDT_VECTORS 32
#define GATE_INTERRUPT_PRESENT 0x8E /* P=1, DPL=0, 64-bit interrupt gate */

extern const uint64_t isr_stub_table[IDT_VECTORS];

static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
/* Boot-time IST stacks, used until cpu_tables_guard_ist_stacks() replaces them. */
static uint8_t ist_boot_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
static uint64_t ist_bottom[3];
static uint64_t ist_top[3];

static void gdt_set_tss(uint64_t *slot, uint64_t base, uint32_t limit)
{
	/* 16-byte system descriptor: type 9 (available 64-bit TSS), present. */
	slot[0] = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) | (0x89ull << 40) |
		  ((uint64_t)(limit & 0xF0000u) << 32) | (((base >> 24) & 0xFFull) << 56);
	slot[1] = base >> 32;
}

static void idt_set_gate(unsigned int vector, uint64_t handler, uint8_t ist)
{
	struct idt_gate *g = &idt[vector];

	g->offset_low = (uint16_t)handler;
	g->selector = GDT_KERNEL_CS;
	g->ist = ist;
	g->type_attr = GATE_INTERRUPT_PRESENT;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_high = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static uint8_t vector_ist(unsigned int vector)
{
	switch (vector) {
	case 2:
		return IST_NMI;
	case 8:
		return IST_DOUBLE_FAULT;
	case 18:
		return IST_MACHINE_CHECK;
	default:
		return 0;
	}
}

void cpu_tables_ist_stack(unsigned int ist, uint64_t *bottom, uint64_t *top)
{
	if (ist < 1 || ist > 3) {
		*bottom = 0;
		*top = 0;
		return;
	}
	*bottom = ist_bottom[ist - 1];
	*top = ist_top[ist - 1];
}

void cpu_tables_init(void)
{
	struct descriptor_pointer gdtr;
	struct descriptor_pointer idtr;

	gdt[0] = 0;
	gdt[1] = 0x00AF9B000000FFFFull; /* 64-bit code, DPL 0 */
	gdt[2] = 0x00CF93000000FFFFull; /* data, DPL 0 */
	for (unsigned int i = 0; i < 3; i++) {
		ist_bottom[i] = (uint64_t)(uintptr_t)ist_boot_stacks[i];
		ist_top[i] = ist_bottom[i] + IST_STACK_SIZE;
		tss.ist[i] = ist_top[i];
	}
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */
	gdt_set_tss(&gdt[3], (uint64_t)(uintptr_t)&tss, sizeof(tss) - 1);

	for (unsigned int v = 0; v < IDT_VECTORS; v++) {
		idt_set_gate(v, isr_stub_table[v], vector_ist(v));
	}

	gdtr.limit = sizeof(gdt) - 1;
	gdtr.base = (uint64_t)(uintptr_t)gdt;
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint64_t)(uintptr_t)idt;

	/* Reload CS with a far return, the data segments with plain moves, then TR and IDTR. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gdtr), "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(GDT_TSS), "m"(idtr)
			 : "rax", "memory");
}

void cpu_tables_guard_ist_stacks(void)
{
	for (unsigned int i = 0; i < 3; i++) {
		struct stack s;

		if (stack_alloc(IST_STACK_SIZE / 4096, &s) != 0) {
			panic("no memory for the exception stacks");
		}
		ist_bottom[i] = s.bottom;
		ist_top[i] = s.top;
		/* The TSS is read only when an exception switches stacks: one store suffices. */
		tss.ist[i] = s.top;
	}
}
