/*
 * Contract between the stock-QEMU loader (igvm/igvmload.c) and the reset-vector ROM
 * (arch/x86/qemu_reset_rom.asm).
 *
 * QEMU older than 10.2 cannot load an IGVM file. igvmload replays the NATIVE directives as
 * `-device loader` blobs and hands QEMU a 64 KiB `-bios` ROM (mapped at GPA 0xFFFF0000) that
 * plays the part of the IGVM VP context: from the reset vector it enters 32-bit flat protected
 * mode and loads the register state found in the parameter block at ROM offset 0, then jumps
 * to the context's EIP.
 *
 * What the ROM can express (igvmload refuses any other native context, with a message):
 *   - CR0.PE = 1, CR0.PG = 0 (paging is turned on by the kernel's own entry stub);
 *   - CS = BASTION_BOOT_CS32 with flat 32-bit code attributes 0xC09B, base 0, limit 4 GiB - 1;
 *     data selector BASTION_BOOT_DS with flat data attributes 0xC093, base 0, limit 4 GiB - 1;
 *   - all GPRs, RIP, CR3, CR4, GDTR/IDTR bases below 4 GiB; RFLAGS == 0x2; GS base 0.
 *
 * nasm cannot include this file, so qemu_reset_rom.asm repeats the offsets; igvmload checks the
 * magic and version of the template it patches, and tests/host check the offsets below.
 */
#pragma once

#include <stdint.h>

#define RESET_ROM_SIZE 0x10000u
#define RESET_ROM_GPA 0xFFFF0000u
#define RESET_ROM_MAGIC 0x54535242u /* "BRST" */
#define RESET_ROM_VERSION 1u

struct reset_rom_params {
	uint32_t magic;          /* 0x00 */
	uint32_t version;        /* 0x04 */
	uint32_t eax;            /* 0x08 */
	uint32_t ecx;            /* 0x0C */
	uint32_t edx;            /* 0x10 */
	uint32_t ebx;            /* 0x14 */
	uint32_t esp;            /* 0x18 */
	uint32_t ebp;            /* 0x1C */
	uint32_t esi;            /* 0x20 */
	uint32_t edi;            /* 0x24 */
	uint32_t eip;            /* 0x28 */
	uint32_t cr0;            /* 0x2C */
	uint32_t cr3;            /* 0x30 */
	uint32_t cr4;            /* 0x34 */
	uint32_t efer_lo;        /* 0x38 */
	uint32_t efer_hi;        /* 0x3C */
	uint16_t reserved0;      /* 0x40 */
	uint16_t gdtr_limit;     /* 0x42: lgdt reads limit then base from here */
	uint32_t gdtr_base;      /* 0x44 */
	uint16_t reserved1;      /* 0x48 */
	uint16_t idtr_limit;     /* 0x4A: lidt reads limit then base from here */
	uint32_t idtr_base;      /* 0x4C */
};

_Static_assert(sizeof(struct reset_rom_params) == 0x50, "reset ROM parameter block size");
