/*
 * Bastion's own address space, replacing the boot page tables (which map the whole region RWX
 * with 2 MiB pages, plus an identity map for the entry stub).
 *
 * After kernel_map_init():
 *   .text              read + execute
 *   .rodata, .ksyms    read only, no execute
 *   .data, .bss        read + write, no execute
 *   boot stack         read + write, no execute; the page below it is unmapped (guard page)
 *   free memory        read + write, no execute (the page pool: heap, page tables, stacks)
 *   temporary window   per-CPU slots for guest pages (mm/tempmap.h)
 * Nothing else is mapped: not the parameter pages (copied at boot), not the boot page tables,
 * not the identity map, not guest memory. CR0.WP is on, EFER.NXE is on, and CR4.SMEP,
 * CR4.SMAP and CR4.UMIP are turned on when the CPU has them. W^X is verified on the live
 * tables before kernel_map_init returns (kernel_map_verify).
 */
#pragma once

#include <stdint.h>

#include "mm/pgtable.h"

/*
 * Builds the kernel page tables from the page pool, switches to them and enables the
 * protection features. enc_mask is the platform's encryption bit (0 on native).
 * Panics if the pool cannot hold the tables: Bastion cannot run without them.
 */
void kernel_map_init(uint64_t enc_mask);

/*
 * Walks every page of Bastion's region in the live tables and counts the W^X violations: a
 * page both writable and executable, writable .text, a writable or executable .rodata
 * page, or (once sealed) a writable .ro_after_init page. kernel_map_init panics unless it finds none (the check reads the entries the CPU
 * uses, not the requests that built them). Returns the number of violations.
 */
unsigned int kernel_map_verify(void);

/*
 * Makes the .ro_after_init pages read-only (kmain, once boot has set what lives there:
 * platform operations, the stack guard, the vTPM and attestation backends) and verifies the
 * tables again, now also that those pages stay read-only. Panics on failure.
 */
void kernel_map_seal_ro_after_init(void);

/* The kernel's page tables (after kernel_map_init). */
struct pgtable *kernel_map_pgtable(void);
