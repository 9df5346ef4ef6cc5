/*
 * Where the linker put Bastion (symbols defined in linker.ld). Read them only through these
 * helpers so the rest of the kernel never declares linker symbols itself.
 */
#pragma once

#include <stdint.h>

#include "kernel/image_layout.h"

extern char __image_start[];
extern char __image_end[];
extern char __text_start[];
extern char __text_end[];
extern char __rodata_start[];
extern char __rodata_end[];
extern char __data_start[];
extern char __ro_after_init_start[];
extern char __ro_after_init_end[];
extern char boot_stack_bottom[];
extern char boot_stack_top[];

/* Virtual addresses of the loaded image (entry stub excluded: it runs before paging). */
static inline uint64_t layout_text_start(void)
{
	return (uint64_t)(uintptr_t)__text_start;
}

static inline uint64_t layout_text_end(void)
{
	return (uint64_t)(uintptr_t)__text_end;
}

/* The image's sections as [start, end) virtual ranges (ends not page aligned). */
static inline uint64_t layout_rodata_start(void)
{
	return (uint64_t)(uintptr_t)__rodata_start;
}

static inline uint64_t layout_rodata_end(void)
{
	return (uint64_t)(uintptr_t)__rodata_end;
}

/* The .ro_after_init pages (linker.ld): writable during boot, read-only after it. */
static inline uint64_t layout_ro_after_init_start(void)
{
	return (uint64_t)(uintptr_t)__ro_after_init_start;
}

static inline uint64_t layout_ro_after_init_end(void)
{
	return (uint64_t)(uintptr_t)__ro_after_init_end;
}

/* Data that stays writable for Bastion's life (.data, .bss). */
static inline uint64_t layout_data_start(void)
{
	return (uint64_t)(uintptr_t)__data_start;
}

static inline uint64_t layout_image_end(void)
{
	return (uint64_t)(uintptr_t)__image_end;
}

static inline uint64_t layout_boot_stack_bottom(void)
{
	return (uint64_t)(uintptr_t)boot_stack_bottom;
}

static inline uint64_t layout_boot_stack_top(void)
{
	return (uint64_t)(uintptr_t)boot_stack_top;
}

/* Guest-physical address of a kernel virtual address inside Bastion's region. */
static inline uint64_t layout_virt_to_gpa(uint64_t va)
{
	return va - BASTION_VIRT_BASE + BASTION_REGION_GPA;
}

/* GPA range of the loaded image, from the entry stub to the end of .bss. */
static inline uint64_t layout_image_gpa_start(void)
{
	return (uint64_t)(uintptr_t)__image_start;
}

static inline uint64_t layout_image_gpa_end(void)
{
	return layout_virt_to_gpa((uint64_t)(uintptr_t)__image_end);
}

/* Marks a variable that boot code sets once and nothing may change afterwards: it lives in
 * .ro_after_init, which kmain makes read-only before serving anyone. Never for secrets (panic
 * must be able to wipe those) or state that changes while serving. */
#define __ro_after_init __attribute__((section(".data.ro_after_init")))
