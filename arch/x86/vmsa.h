/*
 * The SEV-ES/SNP VM save area (VMSA): one 4 KiB page holding a vCPU's complete register state
 * (AMD APM vol 2, table B-4 "VMSA layout, state save area for SEV-ES"; offsets pinned below
 * against svsm-snp-igvm-abi.md section 4.2).
 *
 * Bastion keeps every guest vCPU's registers in this layout on both platforms: on SNP it is
 * the real guest VMSA page; on the native platform the SVM runner copies the VMCB save area
 * (which has the same layout for offsets 0x000..0x2FF) and the GPRs into it around VMRUN.
 * Everything above the platform layer reads guest registers only from here.
 * Portable (no instructions): host tests build VMSAs and check fields.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct vmsa_segment {
	uint16_t selector;
	uint16_t attrib; /* compressed: bits 7:0 access byte, bits 11:8 AVL, L, D/B, G */
	uint32_t limit;
	uint64_t base;
};

_Static_assert(sizeof(struct vmsa_segment) == 16, "VMSA segment register");

struct vmsa {
	struct vmsa_segment es;   /* 0x000 */
	struct vmsa_segment cs;   /* 0x010 */
	struct vmsa_segment ss;   /* 0x020 */
	struct vmsa_segment ds;   /* 0x030 */
	struct vmsa_segment fs;   /* 0x040 */
	struct vmsa_segment gs;   /* 0x050 */
	struct vmsa_segment gdtr; /* 0x060 */
	struct vmsa_segment ldtr; /* 0x070 */
	struct vmsa_segment idtr; /* 0x080 */
	struct vmsa_segment tr;   /* 0x090 */
	uint64_t pl0_ssp;         /* 0x0A0 */
	uint64_t pl1_ssp;
	uint64_t pl2_ssp;
	uint64_t pl3_ssp;
	uint64_t u_cet;           /* 0x0C0 */
	uint8_t reserved_0c8[2];
	uint8_t vmpl;             /* 0x0CA */
	uint8_t cpl;              /* 0x0CB */
	uint8_t reserved_0cc[4];
	uint64_t efer;            /* 0x0D0 */
	uint8_t reserved_0d8[0x68];
	uint64_t xss;             /* 0x140 */
	uint64_t cr4;             /* 0x148 */
	uint64_t cr3;             /* 0x150 */
	uint64_t cr0;             /* 0x158 */
	uint64_t dr7;             /* 0x160 */
	uint64_t dr6;             /* 0x168 */
	uint64_t rflags;          /* 0x170 */
	uint64_t rip;             /* 0x178 */
	uint64_t dr0;             /* 0x180 */
	uint64_t dr1;
	uint64_t dr2;
	uint64_t dr3;
	uint64_t dr0_addr_mask;   /* 0x1A0 */
	uint64_t dr1_addr_mask;
	uint64_t dr2_addr_mask;
	uint64_t dr3_addr_mask;
	uint8_t reserved_1c0[0x18];
	uint64_t rsp;             /* 0x1D8 */
	uint64_t s_cet;           /* 0x1E0 */
	uint64_t ssp;             /* 0x1E8 */
	uint64_t isst_addr;       /* 0x1F0 */
	uint64_t rax;             /* 0x1F8 */
	uint64_t star;            /* 0x200 */
	uint64_t lstar;
	uint64_t cstar;
	uint64_t sfmask;
	uint64_t kernel_gs_base;  /* 0x220 */
	uint64_t sysenter_cs;
	uint64_t sysenter_esp;
	uint64_t sysenter_eip;
	uint64_t cr2;             /* 0x240 */
	uint8_t reserved_248[0x20];
	uint64_t g_pat;           /* 0x268 */
	uint64_t dbgctl;          /* 0x270 */
	uint64_t br_from;
	uint64_t br_to;
	uint64_t last_excp_from;
	uint64_t last_excp_to;    /* 0x290 */
	uint8_t reserved_298[0x50];
	uint32_t pkru;            /* 0x2E8 */
	uint32_t tsc_aux;         /* 0x2EC */
	uint64_t tsc_scale;       /* 0x2F0 */
	uint64_t tsc_offset;      /* 0x2F8 */
	uint64_t reg_prot_nonce;  /* 0x300 */
	uint64_t rcx;             /* 0x308 */
	uint64_t rdx;             /* 0x310 */
	uint64_t rbx;             /* 0x318 */
	uint64_t reserved_320;
	uint64_t rbp;             /* 0x328 */
	uint64_t rsi;             /* 0x330 */
	uint64_t rdi;             /* 0x338 */
	uint64_t r8;              /* 0x340 */
	uint64_t r9;
	uint64_t r10;
	uint64_t r11;
	uint64_t r12;
	uint64_t r13;
	uint64_t r14;
	uint64_t r15;             /* 0x378 */
	uint8_t reserved_380[0x10];
	uint64_t guest_exit_info_1; /* 0x390 */
	uint64_t guest_exit_info_2; /* 0x398 */
	uint64_t guest_exit_int_info; /* 0x3A0 */
	uint64_t guest_nrip;      /* 0x3A8 */
	uint64_t sev_features;    /* 0x3B0 */
	uint64_t vintr_ctrl;      /* 0x3B8 */
	uint64_t guest_exit_code; /* 0x3C0 */
	uint64_t virtual_tom;     /* 0x3C8 */
	uint64_t tlb_id;          /* 0x3D0 */
	uint64_t pcpu_id;         /* 0x3D8 */
	uint64_t event_inj;       /* 0x3E0 */
	uint64_t xcr0;            /* 0x3E8 */
	uint8_t reserved_3f0[0x10];
	uint64_t x87_dp;          /* 0x400 */
	uint32_t mxcsr;           /* 0x408 */
	uint16_t x87_ftw;         /* 0x40C */
	uint16_t x87_fsw;         /* 0x40E */
	uint16_t x87_fcw;         /* 0x410 */
	uint16_t x87_fop;         /* 0x412 */
	uint16_t x87_ds;          /* 0x414 */
	uint16_t x87_cs;          /* 0x416 */
	uint64_t x87_rip;         /* 0x418 */
	uint8_t fpreg_x87[80];    /* 0x420 */
	uint8_t fpreg_xmm[256];   /* 0x470 */
	uint8_t fpreg_ymm[256];   /* 0x570 */
	uint8_t reserved_670[0x990];
};

#define VMSA_CHECK_(field, off) _Static_assert(offsetof(struct vmsa, field) == (off), "VMSA " #field)
VMSA_CHECK_(cs, 0x010);
VMSA_CHECK_(gdtr, 0x060);
VMSA_CHECK_(tr, 0x090);
VMSA_CHECK_(vmpl, 0x0CA);
VMSA_CHECK_(efer, 0x0D0);
VMSA_CHECK_(cr4, 0x148);
VMSA_CHECK_(cr0, 0x158);
VMSA_CHECK_(rflags, 0x170);
VMSA_CHECK_(rip, 0x178);
VMSA_CHECK_(rsp, 0x1D8);
VMSA_CHECK_(rax, 0x1F8);
VMSA_CHECK_(cr2, 0x240);
VMSA_CHECK_(g_pat, 0x268);
VMSA_CHECK_(pkru, 0x2E8);
VMSA_CHECK_(rcx, 0x308);
VMSA_CHECK_(rdx, 0x310);
VMSA_CHECK_(rbx, 0x318);
VMSA_CHECK_(rbp, 0x328);
VMSA_CHECK_(r8, 0x340);
VMSA_CHECK_(r9, 0x348);
VMSA_CHECK_(r15, 0x378);
VMSA_CHECK_(guest_exit_info_1, 0x390);
VMSA_CHECK_(guest_nrip, 0x3A8);
VMSA_CHECK_(sev_features, 0x3B0);
VMSA_CHECK_(guest_exit_code, 0x3C0);
VMSA_CHECK_(event_inj, 0x3E0);
VMSA_CHECK_(xcr0, 0x3E8);
VMSA_CHECK_(mxcsr, 0x408);
VMSA_CHECK_(x87_fcw, 0x410);
VMSA_CHECK_(fpreg_x87, 0x420);
VMSA_CHECK_(fpreg_xmm, 0x470);
VMSA_CHECK_(fpreg_ymm, 0x570);
_Static_assert(sizeof(struct vmsa) == 4096, "VMSA is one page");

/* EFER.SVME in a VMSA: must be 1 for the VMSA to run (SVSM spec 58019, section 4). */
#define VMSA_EFER_SVME (1ull << 12)
/* GUEST_EXIT_CODE of a VMGEXIT (APM vol 2, table C-1: VMEXIT_VMGEXIT). */
#define VMSA_EXIT_VMGEXIT 0x403ull

/* SEV_FEATURES bits (ABI reference 4.2). */
#define SEV_FEATURE_SNP_ACTIVE (1ull << 0)
#define SEV_FEATURE_VTOM (1ull << 1)
#define SEV_FEATURE_REFLECT_VC (1ull << 2)
#define SEV_FEATURE_RESTRICTED_INJECTION (1ull << 3)
#define SEV_FEATURE_ALTERNATE_INJECTION (1ull << 4)
#define SEV_FEATURE_DEBUG_SWAP (1ull << 5)
#define SEV_FEATURE_VMSA_REG_PROT (1ull << 14)
