/*
 * The SVSM guest ABI: protocol and call numbers, result codes, the calling area (CAA) and the
 * request lists of the core protocol.
 *
 * Source: SVSM spec, Publication #58019 rev 1.00 (July 2023), as digested in
 * /work/shared/reference/svsm-snp-igvm-abi.md sections 1 and 2 ("ABI reference" below). Names
 * follow the spec and Linux (arch/x86/include/asm/sev.h) so one grep finds both sides.
 *
 * This header is shared with freestanding test guests: it includes only <stdbool.h>,
 * <stddef.h> and <stdint.h>, defines only svsm_ and SVSM_ names and depends on nothing else in
 * Bastion. Packed words (list entries) have shift/mask accessors, never C bitfields; every
 * structure has its offsets pinned. All fields are little-endian.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- RAX: (protocol << 32) | call (SVSM spec 58019 rev 1.00, "Calling convention") ------- */

#define SVSM_CALL_RAX(protocol, call) ((((uint64_t)(protocol)) << 32) | (uint64_t)(uint32_t)(call))

static inline uint64_t svsm_call_rax(uint32_t protocol, uint32_t call)
{
	return SVSM_CALL_RAX(protocol, call);
}

static inline uint32_t svsm_rax_protocol(uint64_t rax)
{
	return (uint32_t)(rax >> 32);
}

static inline uint32_t svsm_rax_call(uint64_t rax)
{
	return (uint32_t)rax;
}

/* ---- protocols (SVSM spec 58019 rev 1.00, "Protocols"; ABI reference 2.1) ---------------- */

#define SVSM_CORE_PROTOCOL 0u
#define SVSM_ATTEST_PROTOCOL 1u
#define SVSM_VTPM_PROTOCOL 2u

/* Core protocol calls (ABI reference 2.2). */
#define SVSM_CORE_REMAP_CA 0u
#define SVSM_CORE_PVALIDATE 1u
#define SVSM_CORE_CREATE_VCPU 2u
#define SVSM_CORE_DELETE_VCPU 3u
#define SVSM_CORE_DEPOSIT_MEM 4u
#define SVSM_CORE_WITHDRAW_MEM 5u
#define SVSM_CORE_QUERY_PROTOCOL 6u
#define SVSM_CORE_CONFIGURE_VTOM 7u

/* Attestation protocol calls (ABI reference 2.6). */
#define SVSM_ATTEST_SERVICES 0u
#define SVSM_ATTEST_SINGLE_SERVICE 1u

/* vTPM protocol calls (ABI reference 2.7). */
#define SVSM_VTPM_QUERY 0u
#define SVSM_VTPM_CMD 1u

/* ---- result codes (SVSM spec 58019 rev 1.00, "Result codes"; ABI reference 1.6) --------- */

/*
 * RAX on return holds a 32-bit code. Linux and OVMF compare all 64 bits of RAX, so an SVSM
 * must return it zero-extended (ABI reference 7 item 2).
 */
#define SVSM_SUCCESS 0x00000000u
#define SVSM_ERR_INCOMPLETE 0x80000000u
#define SVSM_ERR_UNSUPPORTED_PROTOCOL 0x80000001u
#define SVSM_ERR_UNSUPPORTED_CALL 0x80000002u
#define SVSM_ERR_INVALID_ADDRESS 0x80000003u
#define SVSM_ERR_INVALID_FORMAT 0x80000004u
#define SVSM_ERR_INVALID_PARAMETER 0x80000005u
#define SVSM_ERR_INVALID_REQUEST 0x80000006u
#define SVSM_ERR_BUSY 0x80000007u

/* First protocol-defined error code. */
#define SVSM_ERR_PROTOCOL_BASE 0x80001000u

/*
 * Core protocol errors. 0x80001000 + EAX reports a failed PVALIDATE or RMPADJUST (EAX 0x0..0xF
 * from the instruction); 0x80001010 is PVALIDATE "no change" (CF = 1 and the entry's ignore_cf
 * clear); 0x80001011 an instruction result outside 0x0..0xF.
 */
#define SVSM_ERR_CORE_INSN_BASE 0x80001000u
#define SVSM_PVALIDATE_FAIL_INPUT 0x80001001u
#define SVSM_ERR_RMPADJUST_FAIL_PERMISSION 0x80001002u
#define SVSM_ERR_FAIL_INUSE 0x80001003u /* DELETE_VCPU: the VMSA is running */
#define SVSM_PVALIDATE_FAIL_SIZEMISMATCH 0x80001006u
#define SVSM_PVALIDATE_FAIL_NO_CHANGE 0x80001010u
#define SVSM_PVALIDATE_FAIL_UNEXPECTED 0x80001011u

/* The core-protocol result for a PVALIDATE/RMPADJUST EAX value. */
static inline uint32_t svsm_err_core_insn(uint32_t eax)
{
	return eax <= 0xFu ? SVSM_ERR_CORE_INSN_BASE + eax : SVSM_PVALIDATE_FAIL_UNEXPECTED;
}

/*
 * 0x40000000..0x7FFFFFFF: the call needs memory; bits 29:0 are the number of 4 KiB pages the
 * guest should give with SVSM_CORE_DEPOSIT_MEM before re-issuing the call.
 */
#define SVSM_MEM_NEEDED_BASE 0x40000000u
#define SVSM_MEM_NEEDED_PAGES_MASK 0x3FFFFFFFu

static inline uint32_t svsm_mem_needed(uint32_t pages)
{
	return SVSM_MEM_NEEDED_BASE | (pages & SVSM_MEM_NEEDED_PAGES_MASK);
}

static inline bool svsm_result_is_mem_needed(uint32_t rax)
{
	return (rax & 0xC0000000u) == SVSM_MEM_NEEDED_BASE;
}

static inline bool svsm_result_is_error(uint32_t rax)
{
	return (rax & 0x80000000u) != 0;
}

/* ---- QUERY_PROTOCOL (ABI reference 2.4) --------------------------------------------------- */

/* RCX in: protocol in bits 63:32, requested version in bits 31:0. */
static inline uint64_t svsm_query_protocol_rcx(uint32_t protocol, uint32_t version)
{
	return ((uint64_t)protocol << 32) | version;
}

/* RCX out: 0 if unsupported, else max version in bits 63:32, min version in bits 31:0. */
static inline uint64_t svsm_query_protocol_answer(uint32_t min_version, uint32_t max_version)
{
	return ((uint64_t)max_version << 32) | min_version;
}

/* ---- CONFIGURE_VTOM (SVSM spec 58019 rev 1.00, table 9; ABI reference 2.5) -------------- */

#define SVSM_VTOM_QUERY (1ull << 0)      /* RCX bit 0: query (bits 63:1 must be 0) */
#define SVSM_VTOM_ENABLE (1ull << 1)     /* configure: 1 enable, 0 disable vTOM */
#define SVSM_VTOM_SET_CR3 (1ull << 2)    /* configure: VMSA.CR3 from RDX */
#define SVSM_VTOM_SET_RIP (1ull << 3)    /* configure: VMSA.RIP from R8 */
#define SVSM_VTOM_SET_RSP (1ull << 4)    /* configure: VMSA.RSP from R9 */
#define SVSM_VTOM_RESERVED_MASK 0xFE0ull /* configure: bits 11:5 must be 0 */
#define SVSM_VTOM_ADDR_MASK (~0xFFFull)  /* configure: vTOM bits 63:12 */
/* Query answer, RCX: bit 1 = reconfiguration supported; bits 19:12 = log2 of the alignment. */
#define SVSM_VTOM_QR_SUPPORTED (1ull << 1)
#define SVSM_VTOM_QR_ALIGN_SHIFT 12

/* ---- calling area (SVSM spec 58019 rev 1.00, "Calling Area"; ABI reference 1.3) --------- */

#define SVSM_CAA_SIZE 4096u

struct svsm_caa {
	uint8_t call_pending;  /* guest sets 1 before the call; the SVSM sets 0 when done */
	uint8_t mem_available; /* SVSM: 1 if WITHDRAW_MEM would return memory */
	uint8_t reserved[6];
	uint8_t buffer[SVSM_CAA_SIZE - 8]; /* free for call arguments (e.g. the PVALIDATE list) */
};

_Static_assert(offsetof(struct svsm_caa, call_pending) == 0x000, "SVSM spec: CAA call_pending");
_Static_assert(offsetof(struct svsm_caa, mem_available) == 0x001, "SVSM spec: CAA mem_available");
_Static_assert(offsetof(struct svsm_caa, buffer) == 0x008, "SVSM spec: CAA buffer");
_Static_assert(sizeof(struct svsm_caa) == SVSM_CAA_SIZE, "SVSM spec: CAA is one 4 KiB page");

#define SVSM_CAA_CALL_PENDING_OFFSET 0x000u
#define SVSM_CAA_MEM_AVAILABLE_OFFSET 0x001u
#define SVSM_CAA_BUFFER_OFFSET 0x008u

/* ---- secrets page, SVSM area (ABI reference 1.2) ---------------------------------------- */

#define SVSM_SECRETS_BASE_OFFSET 0x140u        /* u64 GPA of the SVSM region */
#define SVSM_SECRETS_SIZE_OFFSET 0x148u        /* u64 size; 0 = no SVSM */
#define SVSM_SECRETS_CAA_OFFSET 0x150u         /* u64 GPA of the boot vCPU's CAA */
#define SVSM_SECRETS_MAX_VERSION_OFFSET 0x158u /* u32 highest core protocol version */
#define SVSM_SECRETS_GUEST_VMPL_OFFSET 0x15Cu  /* u8 VMPL the guest runs at */

/* ---- page sizes used by list entries (0 = 4 KiB, 1 = 2 MiB; 2 and 3 are invalid) ------- */

#define SVSM_PAGE_SIZE_4K 0u
#define SVSM_PAGE_SIZE_2M 1u
#define SVSM_PAGE_4K_BYTES 0x1000ull
#define SVSM_PAGE_2M_BYTES 0x200000ull

/* ---- PVALIDATE list (SVSM spec 58019 rev 1.00, table 6; ABI reference 2.2) -------------- */

struct svsm_pvalidate_hdr {
	uint16_t entries;  /* number of entries, >= 1 */
	uint16_t next;     /* in: first entry to process (< entries); out: entries processed */
	uint32_t reserved;
};

_Static_assert(offsetof(struct svsm_pvalidate_hdr, entries) == 0x0, "SVSM spec table 6");
_Static_assert(offsetof(struct svsm_pvalidate_hdr, next) == 0x2, "SVSM spec table 6");
_Static_assert(offsetof(struct svsm_pvalidate_hdr, reserved) == 0x4, "SVSM spec table 6");
_Static_assert(sizeof(struct svsm_pvalidate_hdr) == 8, "SVSM spec table 6: 8-byte header");

#define SVSM_PVALIDATE_HDR_SIZE 8u
#define SVSM_PVALIDATE_NEXT_OFFSET 2u
#define SVSM_PVALIDATE_ENTRY_SIZE 8u
/* The most entries a list at CAA + 8 can hold, what Linux and OVMF use (ABI reference 2.2). */
#define SVSM_PVALIDATE_MAX_ENTRIES_IN_CAA 510u

/*
 * Entry (u64):
 *   1:0   page size (SVSM_PAGE_SIZE_4K / _2M; 2 and 3 invalid)
 *   2     action: 1 validate, 0 rescind
 *   3     ignore_cf: treat "no change" (CF = 1) as success
 *   11:4  reserved, must be 0
 *   63:12 GFN (bits 20:12 must be 0 for a 2 MiB entry)
 */
#define SVSM_PVALIDATE_ENTRY_SIZE_MASK 0x3ull
#define SVSM_PVALIDATE_ENTRY_VALIDATE (1ull << 2)
#define SVSM_PVALIDATE_ENTRY_IGNORE_CF (1ull << 3)
#define SVSM_PVALIDATE_ENTRY_RESERVED_MASK 0xFF0ull
#define SVSM_PVALIDATE_ENTRY_GFN_SHIFT 12

static inline uint32_t svsm_pvalidate_entry_page_size(uint64_t e)
{
	return (uint32_t)(e & SVSM_PVALIDATE_ENTRY_SIZE_MASK);
}

static inline bool svsm_pvalidate_entry_validate(uint64_t e)
{
	return (e & SVSM_PVALIDATE_ENTRY_VALIDATE) != 0;
}

static inline bool svsm_pvalidate_entry_ignore_cf(uint64_t e)
{
	return (e & SVSM_PVALIDATE_ENTRY_IGNORE_CF) != 0;
}

static inline uint64_t svsm_pvalidate_entry_reserved(uint64_t e)
{
	return e & SVSM_PVALIDATE_ENTRY_RESERVED_MASK;
}

static inline uint64_t svsm_pvalidate_entry_gfn(uint64_t e)
{
	return e >> SVSM_PVALIDATE_ENTRY_GFN_SHIFT;
}

static inline uint64_t svsm_pvalidate_entry_gpa(uint64_t e)
{
	return e & ~0xFFFull;
}

static inline uint64_t svsm_pvalidate_entry_make(uint64_t gfn, uint32_t page_size, bool validate,
						 bool ignore_cf)
{
	return (gfn << SVSM_PVALIDATE_ENTRY_GFN_SHIFT) |
	       ((uint64_t)page_size & SVSM_PVALIDATE_ENTRY_SIZE_MASK) |
	       (validate ? SVSM_PVALIDATE_ENTRY_VALIDATE : 0) |
	       (ignore_cf ? SVSM_PVALIDATE_ENTRY_IGNORE_CF : 0);
}

/* ---- DEPOSIT_MEM list (SVSM spec 58019 rev 1.00, table 7; ABI reference 2.3) ------------ */

struct svsm_deposit_hdr {
	uint16_t entries;  /* number of entries, >= 1 */
	uint16_t next;     /* in: first entry to process (< entries); out: entries processed */
	uint32_t reserved;
};

_Static_assert(offsetof(struct svsm_deposit_hdr, entries) == 0x0, "SVSM spec table 7");
_Static_assert(offsetof(struct svsm_deposit_hdr, next) == 0x2, "SVSM spec table 7");
_Static_assert(sizeof(struct svsm_deposit_hdr) == 8, "SVSM spec table 7: 8-byte header");

#define SVSM_DEPOSIT_HDR_SIZE 8u
#define SVSM_DEPOSIT_NEXT_OFFSET 2u
#define SVSM_DEPOSIT_ENTRY_SIZE 8u

/*
 * Entry (u64):
 *   1:0   page size (SVSM_PAGE_SIZE_4K / _2M; 2 and 3 invalid)
 *   11:2  reserved, must be 0
 *   63:12 GFN (bits 20:12 must be 0 for a 2 MiB entry)
 */
#define SVSM_DEPOSIT_ENTRY_SIZE_MASK 0x3ull
#define SVSM_DEPOSIT_ENTRY_RESERVED_MASK 0xFFCull
#define SVSM_DEPOSIT_ENTRY_GFN_SHIFT 12

static inline uint32_t svsm_deposit_entry_page_size(uint64_t e)
{
	return (uint32_t)(e & SVSM_DEPOSIT_ENTRY_SIZE_MASK);
}

static inline uint64_t svsm_deposit_entry_reserved(uint64_t e)
{
	return e & SVSM_DEPOSIT_ENTRY_RESERVED_MASK;
}

static inline uint64_t svsm_deposit_entry_gpa(uint64_t e)
{
	return e & ~0xFFFull;
}

static inline uint64_t svsm_deposit_entry_make(uint64_t gfn, uint32_t page_size)
{
	return (gfn << SVSM_DEPOSIT_ENTRY_GFN_SHIFT) |
	       ((uint64_t)page_size & SVSM_DEPOSIT_ENTRY_SIZE_MASK);
}

/* ---- WITHDRAW_MEM list (SVSM spec 58019 rev 1.00, table 8; ABI reference 2.3) ----------- */

/* Filled by the SVSM: a count, then that many u64 GPAs of 4 KiB pages given back. */
struct svsm_withdraw_hdr {
	uint16_t entries;
	uint8_t unused[6];
};

_Static_assert(offsetof(struct svsm_withdraw_hdr, entries) == 0x0, "SVSM spec table 8");
_Static_assert(sizeof(struct svsm_withdraw_hdr) == 8, "SVSM spec table 8: 8-byte header");

#define SVSM_WITHDRAW_HDR_SIZE 8u
#define SVSM_WITHDRAW_ENTRY_SIZE 8u
