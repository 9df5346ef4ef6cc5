/*
 * The VMCB (AMD APM vol 2, appendix B, table B-1 control area and table B-2 state save area).
 * One 4 KiB page: control area at 0x000..0x3FF, state save area at 0x400. The save area has
 * the VMSA layout (arch/x86/vmsa.h) for its first 0x300 bytes, which is how the native
 * platform keeps guest registers in VMSA form.
 * Portable (no instructions).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vmsa.h"

struct vmcb_control {
	uint16_t intercept_cr_read;   /* 0x000 */
	uint16_t intercept_cr_write;  /* 0x002 */
	uint16_t intercept_dr_read;   /* 0x004 */
	uint16_t intercept_dr_write;  /* 0x006 */
	uint32_t intercept_exceptions; /* 0x008 */
	uint32_t intercept_misc1;     /* 0x00C: vector 3 */
	uint32_t intercept_misc2;     /* 0x010: vector 4 */
	uint32_t intercept_misc3;     /* 0x014: vector 5 */
	uint8_t reserved_018[0x24];
	uint16_t pause_filter_threshold; /* 0x03C */
	uint16_t pause_filter_count;  /* 0x03E */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t guest_asid;          /* 0x058 */
	uint8_t tlb_control;          /* 0x05C */
	uint8_t reserved_05d[3];
	uint64_t vintr;               /* 0x060 */
	uint64_t interrupt_shadow;    /* 0x068 */
	uint64_t exit_code;           /* 0x070 */
	uint64_t exit_info_1;         /* 0x078 */
	uint64_t exit_info_2;         /* 0x080 */
	uint64_t exit_int_info;       /* 0x088 */
	uint64_t np_enable;           /* 0x090: bit 0 nested paging */
	uint64_t avic_apic_bar;       /* 0x098 */
	uint64_t ghcb_gpa;            /* 0x0A0 */
	uint64_t event_inj;           /* 0x0A8 */
	uint64_t n_cr3;               /* 0x0B0 */
	uint64_t virt_ext;            /* 0x0B8: LBR virtualization, VMSAVE/VMLOAD virtualization */
	uint32_t clean_bits;          /* 0x0C0 */
	uint32_t reserved_0c4;
	uint64_t next_rip;            /* 0x0C8 */
	uint8_t insn_len;             /* 0x0D0 */
	uint8_t insn_bytes[15];       /* 0x0D1 */
	uint8_t reserved_0e0[0x320];
};

_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x40, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, guest_asid) == 0x58, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x70, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, np_enable) == 0x90, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0xA8, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, n_cr3) == 0xB0, "APM table B-1");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0xC8, "APM table B-1");

/* The save-area bytes shared with the VMSA layout (ES at 0x000 .. TSC_OFFSET at 0x2F8). */
#define VMCB_SAVE_VMSA_BYTES 0x300

struct vmcb {
	struct vmcb_control control;
	uint8_t save[0xC00]; /* VMSA layout for the first VMCB_SAVE_VMSA_BYTES */
};

_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Intercept vector 3 (intercept_misc1) bits. */
#define VMCB_INTERCEPT_INTR (1u << 0)
#define VMCB_INTERCEPT_NMI (1u << 1)
#define VMCB_INTERCEPT_SMI (1u << 2)
#define VMCB_INTERCEPT_INIT (1u << 3)
#define VMCB_INTERCEPT_CPUID (1u << 18)
#define VMCB_INTERCEPT_INVD (1u << 22)
#define VMCB_INTERCEPT_HLT (1u << 24)
#define VMCB_INTERCEPT_IOIO (1u << 27)
#define VMCB_INTERCEPT_MSR (1u << 28)
#define VMCB_INTERCEPT_TASK_SWITCH (1u << 29)
#define VMCB_INTERCEPT_SHUTDOWN (1u << 31)
/* Intercept vector 4 (intercept_misc2) bits. */
#define VMCB_INTERCEPT_VMRUN (1u << 0)
#define VMCB_INTERCEPT_VMMCALL (1u << 1)
#define VMCB_INTERCEPT_VMLOAD (1u << 2)
#define VMCB_INTERCEPT_VMSAVE (1u << 3)
#define VMCB_INTERCEPT_STGI (1u << 4)
#define VMCB_INTERCEPT_CLGI (1u << 5)
#define VMCB_INTERCEPT_SKINIT (1u << 6)
#define VMCB_INTERCEPT_XSETBV (1u << 13)

/* Exit codes (APM vol 2, table C-1). */
#define VMEXIT_EXCP_BASE 0x40
#define VMEXIT_INTR 0x60
#define VMEXIT_NMI 0x61
#define VMEXIT_INIT 0x63
#define VMEXIT_CPUID 0x72
#define VMEXIT_HLT 0x78
#define VMEXIT_IOIO 0x7B
#define VMEXIT_MSR 0x7C
#define VMEXIT_SHUTDOWN 0x7F
#define VMEXIT_VMRUN 0x80
#define VMEXIT_VMMCALL 0x81
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID ((uint64_t)-1)

/* Size of the I/O and MSR permission maps (APM vol 2, 15.10 and 15.11). */
#define SVM_IOPM_SIZE (3 * 4096)
#define SVM_MSRPM_SIZE (2 * 4096)
