/*
 * Memory-management bring-up and the VM-wide objects it creates.
 */
#pragma once

#include <stdint.h>

#include "kernel/boot_params.h"

struct page_state;

/*
 * In order: the page allocator over Bastion's free memory, the kmalloc heap, Bastion's W^X
 * page tables (switching away from the boot tables), and the page-state ledger of the whole VM
 * (Bastion's region assigned to Bastion; on the native platform guest RAM starts validated,
 * because nested paging maps it for the guest from the start). Panics on failure: Bastion
 * cannot serve anyone without these.
 */
void mm_init(uint32_t platform_type, const struct boot_memmap *map);

/* The VM's page-state ledger (after mm_init). */
struct page_state *mm_page_state(void);
