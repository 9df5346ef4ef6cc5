/*
 * The GHCB page (Guest-Hypervisor Communication Block, GHCB spec 56421, "GHCB layout",
 * table "GHCB layout"; svsm-snp-igvm-abi.md section 3.2) and the NAE ("non-automatic exit")
 * calls Bastion makes through it: IOIO, MSR, Page State Change, AP creation, Run VMPL,
 * hypervisor features, termination, SNP guest request.
 *
 * Protocol of every call (GHCB spec 56421, "Invoking VMGEXIT"):
 *   1. clear the valid bitmap, set the input fields and their valid bits, set SW_EXITCODE,
 *      SW_EXITINFO1, SW_EXITINFO2 (valid), protocol version 2, usage 0;
 *   2. write the GHCB GPA to MSR 0xC0010130, VMGEXIT;
 *   3. copy SW_EXITINFO1/2, RAX, RBX, RCX, RDX and the valid bitmap out of the shared page,
 *      each read exactly once, and check only the copy (no double fetch);
 *   4. SW_EXITINFO1[31:0]: 0 success; 1 the host asks to inject an exception (event in
 *      SW_EXITINFO2) -> SNP_ERR_HV_EXCEPTION; 2 the host reports an error (GHCB_ERR_* in
 *      SW_EXITINFO2) -> SNP_ERR_HV_ERROR; any other value -> SNP_ERR_HV_PROTOCOL;
 *   5. output registers are used only if the host set their valid bits (IOIO IN: RAX;
 *      RDMSR: RAX and RDX), else SNP_ERR_HV_MISSING_VALID.
 * The copied response of the last exit stays in ctx->last for the log.
 *
 * The page itself must be shared (rescinded with PVALIDATE, converted with the MSR-protocol
 * PSC, mapped without the C-bit) and registered with ghcb_msr_register() before the first
 * call. One ghcb_ctx per vCPU; calls are not reentrant (a #VC taken during a call must not
 * use the same page).
 * Portable: the structure, the encoders and the call logic build for the host tests, where
 * the VMGEXIT reaches tests/host/snp_mock_hv.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/insn.h"
#include "arch/x86/snp/snp_result.h"
#include "mm/addr.h"

/* ---- layout --------------------------------------------------------------------------------- */

/* Save area offsets used by Bastion (GHCB spec 56421, "GHCB layout"). */
#define GHCB_OFF_CPL 0x0CBu
#define GHCB_OFF_RAX 0x1F8u
#define GHCB_OFF_RCX 0x308u
#define GHCB_OFF_RDX 0x310u
#define GHCB_OFF_RBX 0x318u
#define GHCB_OFF_SW_EXITCODE 0x390u
#define GHCB_OFF_SW_EXITINFO1 0x398u
#define GHCB_OFF_SW_EXITINFO2 0x3A0u
#define GHCB_OFF_SW_SCRATCH 0x3A8u
#define GHCB_OFF_XCR0 0x3E8u
#define GHCB_OFF_VALID_BITMAP 0x3F0u
#define GHCB_OFF_SHARED_BUFFER 0x800u
#define GHCB_SHARED_BUFFER_SIZE 0x7F0u
#define GHCB_OFF_PROTOCOL_VERSION 0xFFAu
#define GHCB_OFF_USAGE 0xFFCu

/* GHCB_USAGE value of the standard layout. */
#define GHCB_USAGE_STANDARD 0u

/* Valid bitmap: bit i covers the save-area qword at offset 8 * i (GHCB spec 56421,
 * "GHCB layout"). */
#define GHCB_VALID_BITMAP_SIZE 16u
#define GHCB_VALID_BIT(off) ((off) / 8u)

struct ghcb_save_area {
	uint8_t reserved_000[0xCB];
	uint8_t cpl;                /* 0x0CB */
	uint8_t reserved_0cc[0x74];
	uint64_t xss;               /* 0x140 */
	uint8_t reserved_148[0x18];
	uint64_t dr7;               /* 0x160 */
	uint8_t reserved_168[0x10];
	uint64_t rip;               /* 0x178 */
	uint8_t reserved_180[0x58];
	uint64_t rsp;               /* 0x1D8 */
	uint8_t reserved_1e0[0x18];
	uint64_t rax;               /* 0x1F8 */
	uint8_t reserved_200[0x108];
	uint64_t rcx;               /* 0x308 */
	uint64_t rdx;               /* 0x310 */
	uint64_t rbx;               /* 0x318 */
	uint64_t reserved_320;
	uint64_t rbp;               /* 0x328 */
	uint64_t rsi;               /* 0x330 */
	uint64_t rdi;               /* 0x338 */
	uint64_t r8;                /* 0x340 */
	uint64_t r9;
	uint64_t r10;
	uint64_t r11;
	uint64_t r12;
	uint64_t r13;
	uint64_t r14;
	uint64_t r15;               /* 0x378 */
	uint8_t reserved_380[0x10];
	uint64_t sw_exit_code;      /* 0x390 */
	uint64_t sw_exit_info_1;    /* 0x398 */
	uint64_t sw_exit_info_2;    /* 0x3A0 */
	uint64_t sw_scratch;        /* 0x3A8 */
	uint8_t reserved_3b0[0x38];
	uint64_t xcr0;              /* 0x3E8 */
	uint8_t valid_bitmap[GHCB_VALID_BITMAP_SIZE]; /* 0x3F0 */
	uint64_t x87_state_gpa;     /* 0x400 */
	uint8_t reserved_408[0x3F8];
};

struct ghcb {
	struct ghcb_save_area save;                      /* 0x000 */
	uint8_t shared_buffer[GHCB_SHARED_BUFFER_SIZE];  /* 0x800 */
	uint8_t reserved_ff0[0xA];
	uint16_t protocol_version;                       /* 0xFFA */
	uint32_t ghcb_usage;                             /* 0xFFC */
};

#define GHCB_CHECK_(field, off)                                                                  \
	_Static_assert(offsetof(struct ghcb, field) == (off), "GHCB spec 56421 layout: " #field)
GHCB_CHECK_(save.cpl, GHCB_OFF_CPL);
GHCB_CHECK_(save.xss, 0x140);
GHCB_CHECK_(save.dr7, 0x160);
GHCB_CHECK_(save.rip, 0x178);
GHCB_CHECK_(save.rsp, 0x1D8);
GHCB_CHECK_(save.rax, GHCB_OFF_RAX);
GHCB_CHECK_(save.rcx, GHCB_OFF_RCX);
GHCB_CHECK_(save.rdx, GHCB_OFF_RDX);
GHCB_CHECK_(save.rbx, GHCB_OFF_RBX);
GHCB_CHECK_(save.rbp, 0x328);
GHCB_CHECK_(save.r8, 0x340);
GHCB_CHECK_(save.r15, 0x378);
GHCB_CHECK_(save.sw_exit_code, GHCB_OFF_SW_EXITCODE);
GHCB_CHECK_(save.sw_exit_info_1, GHCB_OFF_SW_EXITINFO1);
GHCB_CHECK_(save.sw_exit_info_2, GHCB_OFF_SW_EXITINFO2);
GHCB_CHECK_(save.sw_scratch, GHCB_OFF_SW_SCRATCH);
GHCB_CHECK_(save.xcr0, GHCB_OFF_XCR0);
GHCB_CHECK_(save.valid_bitmap, GHCB_OFF_VALID_BITMAP);
GHCB_CHECK_(save.x87_state_gpa, 0x400);
GHCB_CHECK_(shared_buffer, GHCB_OFF_SHARED_BUFFER);
GHCB_CHECK_(protocol_version, GHCB_OFF_PROTOCOL_VERSION);
GHCB_CHECK_(ghcb_usage, GHCB_OFF_USAGE);
_Static_assert(sizeof(struct ghcb_save_area) == 0x800, "GHCB save area is 2 KiB");
_Static_assert(sizeof(struct ghcb) == 4096, "GHCB is one page");
_Static_assert(GHCB_VALID_BIT(GHCB_OFF_RAX) == 63 && GHCB_VALID_BIT(GHCB_OFF_RCX) == 97 &&
		       GHCB_VALID_BIT(GHCB_OFF_SW_EXITCODE) == 114 &&
		       GHCB_VALID_BIT(GHCB_OFF_SW_SCRATCH) == 117,
	       "valid bitmap bit = offset / 8");

/* ---- NAE exit codes (SW_EXITCODE; GHCB spec 56421, "Invoking VMGEXIT" NAE event table;
 * Linux SVM_EXIT_* / SVM_VMGEXIT_* in uapi/asm/svm.h) ------------------------------------ */
#define GHCB_NAE_IOIO 0x07Bull
#define GHCB_NAE_MSR 0x07Cull
#define GHCB_NAE_PSC 0x80000010ull
#define GHCB_NAE_GUEST_REQUEST 0x80000011ull
#define GHCB_NAE_AP_CREATION 0x80000013ull
#define GHCB_NAE_RUN_VMPL 0x80000018ull
#define GHCB_NAE_HV_FEATURES 0x8000FFFDull
#define GHCB_NAE_TERMINATE 0x8000FFFEull

/* SW_EXITINFO1[31:0] on return (GHCB spec 56421, "Invoking VMGEXIT"). */
#define GHCB_RESULT_OK 0u
#define GHCB_RESULT_EXCEPTION 1u
#define GHCB_RESULT_ERROR 2u

/* GHCB_ERR_* codes in SW_EXITINFO2 with result 2 (Linux sev-common.h). */
#define GHCB_ERR_NOT_REGISTERED 1u
#define GHCB_ERR_INVALID_USAGE 2u
#define GHCB_ERR_INVALID_SCRATCH_AREA 3u
#define GHCB_ERR_MISSING_INPUT 4u
#define GHCB_ERR_INVALID_INPUT 5u
#define GHCB_ERR_INVALID_EVENT 6u

/* IOIO SW_EXITINFO1 (APM vol 2, 15.10.2 "IN and OUT behaviour", EXITINFO1 for IOIO). */
#define GHCB_IOIO_TYPE_IN (1ull << 0)
#define GHCB_IOIO_DATA8 (1ull << 4)
#define GHCB_IOIO_DATA16 (1ull << 5)
#define GHCB_IOIO_DATA32 (1ull << 6)
#define GHCB_IOIO_ADDR64 (1ull << 9)
#define GHCB_IOIO_PORT_SHIFT 16

/* AP creation SW_EXITINFO1 (GHCB spec 56421, "SNP AP Creation"): request 15:0, VMPL 19:16,
 * APIC ID 63:32. */
enum ghcb_ap_request {
	GHCB_AP_CREATE_ON_INIT = 0,
	GHCB_AP_CREATE = 1,
	GHCB_AP_DESTROY = 2,
};
#define GHCB_AP_VMPL_SHIFT 16
#define GHCB_AP_APIC_ID_SHIFT 32

/* Termination SW_EXITINFO1: reason set 3:0, reason code 11:4 (GHCB spec 56421, "Termination
 * Request"). */
#define GHCB_TERM_NAE_CODE_SHIFT 4

/* SNP guest request SW_EXITINFO2 on return (GHCB spec 56421, "SNP Guest Request"; ABI
 * reference 3.6): bits 63:32 VMM error, bits 31:0 PSP firmware error. */
#define GHCB_GUEST_REQ_VMM_SHIFT 32
#define GHCB_GUEST_REQ_ERR_INVALID_LEN 1u
#define GHCB_GUEST_REQ_ERR_BUSY 2u

/* ---- Page State Change buffer (GHCB spec 56421, "SNP Page State Change"; ABI ref. 3.5) ----
 * In the shared buffer: header u16 cur_entry, u16 end_entry (last valid index, inclusive),
 * u32 reserved (zero); then up to 253 u64 entries: cur_page 11:0, GFN 51:12, operation
 * 55:52, page size bit 56 (1 = 2 MiB), 63:57 reserved. */
#define GHCB_PSC_HDR_SIZE 8u
#define GHCB_PSC_MAX_ENTRIES 253u
#define GHCB_PSC_CUR_PAGE_MASK 0xFFFull
#define GHCB_PSC_GFN_SHIFT 12
#define GHCB_PSC_GFN_MASK 0x000FFFFFFFFFF000ull
#define GHCB_PSC_OP_SHIFT 52
#define GHCB_PSC_OP_MASK (0xFull << GHCB_PSC_OP_SHIFT)
#define GHCB_PSC_SIZE_2M (1ull << 56)
#define GHCB_PSC_RESERVED_MASK (~0ull << 57)
_Static_assert(GHCB_PSC_HDR_SIZE + GHCB_PSC_MAX_ENTRIES * 8u <= GHCB_SHARED_BUFFER_SIZE,
	       "PSC buffer fits the shared buffer");

/* Builds one PSC entry (cur_page 0). */
static inline uint64_t ghcb_psc_entry(pfn_t gfn, enum ghcb_psc_op op, enum snp_page_size size)
{
	return ((pfn_get(gfn) << GHCB_PSC_GFN_SHIFT) & GHCB_PSC_GFN_MASK) |
	       (((uint64_t)op << GHCB_PSC_OP_SHIFT) & GHCB_PSC_OP_MASK) |
	       (size == SNP_PAGE_2M ? GHCB_PSC_SIZE_2M : 0);
}

/* ---- valid bitmap helpers -------------------------------------------------------------------- */

/* Sets the valid bit of the save-area field at off (off < 0x400, a multiple of 8). */
static inline void ghcb_valid_set(uint8_t bitmap[GHCB_VALID_BITMAP_SIZE], unsigned int off)
{
	unsigned int bit = GHCB_VALID_BIT(off);

	bitmap[bit / 8u] = (uint8_t)(bitmap[bit / 8u] | (1u << (bit % 8u)));
}

/* True if the valid bit of the field at off is set in bitmap. */
static inline bool ghcb_valid_test(const uint8_t bitmap[GHCB_VALID_BITMAP_SIZE],
				   unsigned int off)
{
	unsigned int bit = GHCB_VALID_BIT(off);

	return (bitmap[bit / 8u] & (1u << (bit % 8u))) != 0;
}

/* ---- calls ---------------------------------------------------------------------------------- */

/* The fields Bastion copies out of the page after each exit, each read once. */
struct ghcb_response {
	uint64_t exit_info_1;
	uint64_t exit_info_2;
	uint64_t rax;
	uint64_t rbx;
	uint64_t rcx;
	uint64_t rdx;
	uint8_t valid_bitmap[GHCB_VALID_BITMAP_SIZE];
};

struct ghcb_ctx {
	struct ghcb *page; /* Bastion's (unencrypted) mapping of the shared page */
	paddr_t pa;        /* its GPA, as registered with ghcb_msr_register() */
	struct ghcb_response last; /* copy of the last exit's response (diagnostics) */
};

/*
 * Sets up ctx for the page mapped at page with GPA pa. Panics (CHECK) if either is not 4 KiB
 * aligned: that is a Bastion bug.
 */
void ghcb_ctx_init(struct ghcb_ctx *ctx, struct ghcb *page, paddr_t pa);

/* SW_EXITINFO1 of a non-string, non-REP IN/OUT with a 64-bit address size. size: 1, 2 or 4. */
uint64_t ghcb_ioio_exitinfo(uint16_t port, unsigned int size, bool in);

/*
 * OUT of size bytes (1, 2, 4) of value to port (NAE 0x7B; RAX valid, masked to size).
 * Errors: SNP_ERR_INVALID_ARG (size), SNP_ERR_HV_EXCEPTION, SNP_ERR_HV_ERROR,
 * SNP_ERR_HV_PROTOCOL.
 */
enum snp_result ghcb_ioio_out(struct ghcb_ctx *ctx, uint16_t port, unsigned int size,
			      uint32_t value);

/*
 * IN of size bytes from port (NAE 0x7B). Output: *value, the host's RAX masked to size.
 * Errors: as ghcb_ioio_out, plus SNP_ERR_HV_MISSING_VALID (RAX not valid in the response).
 */
enum snp_result ghcb_ioio_in(struct ghcb_ctx *ctx, uint16_t port, unsigned int size,
			     uint32_t *value);

/*
 * RDMSR through the host (NAE 0x7C, EXITINFO1 0, RCX = msr). Output: *value = RDX:RAX (low 32
 * bits of each). Errors: SNP_ERR_HV_EXCEPTION, SNP_ERR_HV_ERROR, SNP_ERR_HV_PROTOCOL,
 * SNP_ERR_HV_MISSING_VALID (RAX or RDX not valid).
 */
enum snp_result ghcb_rdmsr(struct ghcb_ctx *ctx, uint32_t msr, uint64_t *value);

/*
 * WRMSR through the host (NAE 0x7C, EXITINFO1 1, RCX = msr, RAX/RDX = value halves).
 * Errors: SNP_ERR_HV_EXCEPTION, SNP_ERR_HV_ERROR, SNP_ERR_HV_PROTOCOL.
 */
enum snp_result ghcb_wrmsr(struct ghcb_ctx *ctx, uint32_t msr, uint64_t value);

/*
 * Page State Change (NAE 0x80000010, SW_SCRATCH = GHCB GPA + 0x800) of count entries built
 * with ghcb_psc_entry(); entries stays Bastion's private copy and is rewritten into the shared
 * buffer before every exit. Repeats the exit while the host makes progress: after each exit
 * cur_entry (and cur_page within it) must have advanced, stay <= end_entry + 1, end_entry and
 * the reserved field must be unchanged. Success when cur_entry == end_entry + 1.
 * Errors: SNP_ERR_INVALID_ARG (count 0 or > 253, an entry with cur_page, reserved bits, an
 * operation other than private/shared, or a 2 MiB entry whose GFN is not 2 MiB aligned),
 * SNP_ERR_HV_EXCEPTION/ERROR/PROTOCOL, SNP_ERR_PSC_HOST (SW_EXITINFO2 != 0, in ctx->last),
 * SNP_ERR_PSC_HEADER, SNP_ERR_PSC_BACKWARDS, SNP_ERR_PSC_BEYOND_END, SNP_ERR_PSC_NO_PROGRESS,
 * SNP_ERR_PSC_ENTRY (cur_page beyond the entry's page count).
 * On error the state of the pages is unknown; the caller must not PVALIDATE them as private.
 */
enum snp_result ghcb_psc(struct ghcb_ctx *ctx, const uint64_t *entries, unsigned int count);

/*
 * Page State Change of page_count 4 KiB pages from gfn, in batches of 253 entries, using 2 MiB
 * entries where allow_2m and the GFN is 2 MiB aligned with 512 pages left.
 * Errors: SNP_ERR_INVALID_ARG (page_count 0, range beyond 2^40 frames, bad op) and those of
 * ghcb_psc().
 */
enum snp_result ghcb_psc_range(struct ghcb_ctx *ctx, pfn_t gfn, uint64_t page_count,
			       enum ghcb_psc_op op, bool allow_2m);

/*
 * SNP AP creation (NAE 0x80000013): EXITINFO1 = request | vmpl << 16 | apic_id << 32,
 * EXITINFO2 = vmsa, RAX = sev_features (valid; not sent for GHCB_AP_DESTROY).
 * Errors: SNP_ERR_INVALID_ARG (request > 2, vmpl > 3, vmsa not 4 KiB aligned),
 * SNP_ERR_VMSA_2M_ALIGNED (create with a 2 MiB aligned VMSA: SNP erratum, ABI reference 4.1),
 * SNP_ERR_HV_EXCEPTION/ERROR/PROTOCOL.
 */
enum snp_result ghcb_ap_create(struct ghcb_ctx *ctx, enum ghcb_ap_request request, uint8_t vmpl,
			       uint32_t apic_id, gpa_t vmsa, uint64_t sev_features);

/*
 * SNP Run VMPL (NAE 0x80000018, EXITINFO1 = vmpl, EXITINFO2 = 0): returns when the host
 * resumes this VMPL. Errors: SNP_ERR_INVALID_ARG (vmpl > 3), SNP_ERR_HV_EXCEPTION/ERROR/PROTOCOL.
 */
enum snp_result ghcb_run_vmpl(struct ghcb_ctx *ctx, uint8_t vmpl);

/*
 * Hypervisor features (NAE 0x8000FFFD). Output: *features = SW_EXITINFO2 (GHCB_HV_FT_* bits).
 * Errors: SNP_ERR_HV_EXCEPTION/ERROR/PROTOCOL.
 */
enum snp_result ghcb_hv_features(struct ghcb_ctx *ctx, uint64_t *features);

/*
 * Termination request (NAE 0x8000FFFE, EXITINFO1 = set 3:0 | code << 4). Should not return;
 * if the host resumes the vCPU: SNP_ERR_HV_RETURNED, or the error the response carried. The
 * caller then falls back to ghcb_msr_terminate(). Errors: SNP_ERR_INVALID_ARG (set > 15).
 */
enum snp_result ghcb_terminate_request(struct ghcb_ctx *ctx, uint8_t reason_set,
				       uint8_t reason_code);

/*
 * SNP guest request (NAE 0x80000011, EXITINFO1 = request page, EXITINFO2 = response page; both
 * shared pages owned by Bastion). Output: *fw_error = SW_EXITINFO2[31:0] (may be NULL).
 * Errors: SNP_ERR_INVALID_ARG (pages not 4 KiB aligned or equal), SNP_ERR_HV_EXCEPTION/
 * ERROR/PROTOCOL, SNP_ERR_GUEST_REQ_BUSY (VMM error 2: the PSP did not consume the message;
 * resend it unchanged, same sequence number), SNP_ERR_GUEST_REQ_INVALID_LEN (VMM error 1),
 * SNP_ERR_GUEST_REQ_VMM (other VMM error), SNP_ERR_GUEST_REQ_FW (firmware error).
 */
enum snp_result ghcb_guest_request(struct ghcb_ctx *ctx, paddr_t request, paddr_t response,
				   uint32_t *fw_error);
