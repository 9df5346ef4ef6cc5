/*
 * Finding the SVSM and calling it, the way Linux and OVMF do (ABI reference 1.2-1.5):
 * the secrets page names the SVSM's region and the boot calling area (CAA); a call loads
 * RAX = (protocol << 32) | call and RCX/RDX/R8/R9, writes the GHCB MSR Run-VMPL-0 request
 * (0x016), sets CAA.call_pending = 1, executes VMGEXIT, then exchanges call_pending with 0 and
 * restores the GHCB MSR.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocols/svsm_abi.h"

/* Registers in and out of one call, and what the guest observed around it. */
struct svsm_regs {
	uint64_t rax, rcx, rdx, r8, r9;
	uint8_t pending_after; /* the byte the final xchg took out of call_pending */
	uint64_t ghcb_resp;    /* GHCB MSR after the VMGEXIT (expected: 0x017, bits 63:32 zero) */
};

/* What discovery found (svsm_discover). */
struct svsm_info {
	uint64_t secrets_gpa, cpuid_gpa, caa_section_gpa; /* from our own SEV metadata */
	uint64_t base, size, caa;                         /* from the secrets page */
	uint32_t max_version;
	uint8_t guest_vmpl;
	bool vmpck_zero[4];
	bool native; /* every VMPCK is zero: the native platform (no PSP keys) */
};

extern struct svsm_info svsm;

/* The calling area the next call uses (follows successful REMAP_CA calls of the tests). */
extern uint64_t svsm_caa_gpa;

/* Calls placed so far and how many of them came back with call_pending still set. */
extern uint64_t svsm_calls;
extern uint64_t svsm_calls_pending_left;

/*
 * Reads our SEV metadata (the GUIDed table at the end of the image) and the secrets page.
 * Reports what it checks; returns false if there is no SVSM to talk to.
 */
bool svsm_discover(void);

/*
 * One call with call_pending set to pending (1 for a normal call; 0 for a spurious exit;
 * anything else is a reserved value) in the CAA at caa_gpa. r in: registers; out: registers,
 * pending_after, ghcb_resp.
 */
void svsm_call_at(uint64_t caa_gpa, uint8_t pending, struct svsm_regs *r);

/* A normal call on the current CAA; returns RAX (all 64 bits). */
uint64_t svsm_call(struct svsm_regs *r);

/* Shorthand: call (protocol, call) with RCX/RDX/R8 (R9 = 0); the full registers in *out. */
uint64_t svsm_call3(uint32_t protocol, uint32_t call, uint64_t rcx, uint64_t rdx, uint64_t r8,
		    struct svsm_regs *out);

/* PVALIDATE / DEPOSIT list header at a GPA. */
static inline volatile struct svsm_pvalidate_hdr *list_hdr(uint64_t gpa)
{
	return (volatile struct svsm_pvalidate_hdr *)(uintptr_t)gpa;
}

static inline volatile uint64_t *list_entries(uint64_t gpa)
{
	return (volatile uint64_t *)(uintptr_t)(gpa + SVSM_PVALIDATE_HDR_SIZE);
}

/* A PVALIDATE entry for gpa (4 KiB or 2 MiB). */
static inline uint64_t pv_entry(uint64_t gpa, uint32_t size, bool validate, bool ignore_cf)
{
	return svsm_pvalidate_entry_make(gpa >> 12, size, validate, ignore_cf);
}

/* Writes a header (entries, next, reserved 0) at list_gpa. */
void list_init(uint64_t list_gpa, uint16_t entries, uint16_t next);

/* PVALIDATE of the list at list_gpa; returns RAX. */
uint64_t pvalidate_list(uint64_t list_gpa);

/* One-entry PVALIDATE with the list at CAA + 8 (as Linux and OVMF place it); returns RAX. */
uint64_t pvalidate_one(uint64_t gpa, uint32_t size, bool validate, bool ignore_cf);

/* Re-issues PVALIDATE of a list while it answers INCOMPLETE (ABI reference 1.4). */
uint64_t pvalidate_until_done(uint64_t list_gpa, unsigned int *incompletes, bool *progressed);
