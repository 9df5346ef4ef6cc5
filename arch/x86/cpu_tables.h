/*
 * Bastion's own GDT, TSS (with IST stacks) and IDT for the boot CPU.
 *
 * Selectors: 0x08 64-bit kernel code, 0x10 kernel data, 0x18 the TSS.
 * IST assignment: 1 = #DF, 2 = NMI, 3 = #MC (a fresh known-good stack even when the
 * interrupted stack is corrupt); 4 is reserved for #VC on SNP.
 */
#pragma once

#include <stdint.h>

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS 0x18

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3

/* Loads the GDT, reloads every segment register, loads the TSS and the IDT. Cannot fail. */
void cpu_tables_init(void);

/*
 * Moves the IST stacks from .bss to guarded stacks (mm/stack.h), once memory management is up.
 * Panics if the stacks cannot be allocated.
 */
void cpu_tables_guard_ist_stacks(void);

/* Bounds of the IST stack in use for vector, for the backtrace walker; 0/0 if none. */
void cpu_tables_ist_stack(unsigned int ist, uint64_t *bottom, uint64_t *top);
