/*
 * core_backend: everything the core protocol handlers (protocols/core.c) need from outside.
 *
 * The handlers are portable C that decide what a call means, check it and order its steps;
 * every effect on guest memory, on the RMP and on Bastion's own structures goes through this
 * table of function pointers. The kernel fills it with guest_mem, the SNP (or native)
 * platform layer, its vCPU records and the page allocator; host tests fill it with a fake
 * (tests/host/fake_core_backend.c). The page-state ledger is used directly
 * (page_state_apply/get/range_all), because it is portable.
 *
 * Every function receives ctx as its first argument. Unless marked optional, every pointer
 * must be non-NULL.
 *
 * Conventions
 *   - GPAs are guest-physical, untrusted in origin, but already checked by the caller for
 *     alignment and against the ledger where the text says so.
 *   - "Arch code" (uint32_t): the result of a platform page operation, CORE_ARCH_OK or one of
 *     the codes below. Instruction failures are the instruction's EAX (PVALIDATE: 1
 *     FAIL_INPUT, 6 FAIL_SIZEMISMATCH; RMPADJUST: 1 FAIL_INPUT, 2 FAIL_PERMISSION, 6
 *     FAIL_SIZEMISMATCH), and the core protocol reports them to the guest as 0x80001000 + EAX
 *     (SVSM spec 58019 rev 1.00, "Core protocol" result codes; ABI reference 1.6).
 *   - Operations that return an int return 0 on success and non-zero if the access was refused
 *     or faulted; the core protocol reports that as SVSM_ERR_INVALID_ADDRESS.
 *   - No operation may call back into the core protocol, and none may call
 *     page_state_compact() (the core relies on page_state.h's "an undo never needs memory"
 *     guarantee between its apply and its undo).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/addr.h"
#include "mm/page_state.h"

/* ---- arch codes -------------------------------------------------------------------------- */

#define CORE_ARCH_OK 0x0u
#define CORE_ARCH_FAIL_INPUT 0x1u        /* PVALIDATE/RMPADJUST EAX 1 */
#define CORE_ARCH_FAIL_PERMISSION 0x2u   /* RMPADJUST EAX 2 */
#define CORE_ARCH_FAIL_SIZEMISMATCH 0x6u /* PVALIDATE/RMPADJUST EAX 6 */
/* PVALIDATE only: EAX 0 with CF = 1, the page already was in the requested state. */
#define CORE_ARCH_NO_CHANGE 0x10u
/* Software: Bastion had no memory for its own bookkeeping (reported as SVSM_MEM_NEEDED). */
#define CORE_ARCH_NO_MEMORY 0x100u
/* Software: the page could not be mapped or the access faulted (SVSM_ERR_INVALID_ADDRESS). */
#define CORE_ARCH_FAULT 0x101u
/* Any other value is reported as SVSM_PVALIDATE_FAIL_UNEXPECTED (0x80001011). */

/* ---- the vCPU registry -------------------------------------------------------------------- */

/*
 * One guest vCPU as the registry records it. vCPUs are numbered 0..vcpu_count()-1 by the
 * backend; the number is stable for the life of the VM. A vCPU exists from boot on (one per
 * APIC ID the VM was launched with) whether or not it has a VMSA yet.
 *   apic_id   the APIC ID CREATE_VCPU names it by (R8[31:0])
 *   boot      the boot vCPU: its current VMSA can never be deleted; its CAA carries
 *             SVSM_MEM_AVAILABLE
 *   vmpl      the VMPL its guest runs at, i.e. the caller's VMPL when it calls
 *   has_vmsa  it has a current VMSA (vmsa): the page the host runs for it at the guest VMPL
 *   has_caa   it has a calling area (caa)
 */
struct core_vcpu_info {
	uint32_t apic_id;
	bool boot;
	uint8_t vmpl;
	bool has_vmsa;
	gpa_t vmsa;
	bool has_caa;
	gpa_t caa;
};

/* ---- the backend -------------------------------------------------------------------------- */

struct core_backend {
	void *ctx;

	/* The VM's page-state ledger. Every page the core hands out (validated, VMSA, CAA) is
	 * changed here first, and the ledger is what refuses Bastion's pages, active VMSAs and
	 * active CAAs (docs/page-state.md). */
	struct page_state *ledger;

	/* Work bound per PVALIDATE or DEPOSIT_MEM call, in 4 KiB pages; 0 selects
	 * CORE_PAGE_BUDGET_DEFAULT (protocols/core.h). */
	uint32_t page_budget;

	/* ---- guest memory (guest_mem: guest-owned, validated, private, not a VMSA) ---- */

	/* Copies len bytes at gpa into dst. Non-zero: refused (not the guest's validated
	 * private memory, Bastion's, a VMSA) or faulted. */
	int (*guest_read)(void *ctx, gpa_t gpa, void *dst, size_t len);
	/* Copies len bytes from src to gpa. Same refusals. CAA pages are writable. */
	int (*guest_write)(void *ctx, gpa_t gpa, const void *src, size_t len);

	/* ---- platform page operations (SNP: PVALIDATE / RMPADJUST on a temporary mapping) ---- */

	/* PVALIDATE the 4 KiB page or 2 MiB chunk at gpa: validate (true) or rescind (false).
	 * Returns an arch code; CORE_ARCH_NO_CHANGE for CF = 1. */
	uint32_t (*page_pvalidate)(void *ctx, gpa_t gpa, enum page_size size, bool validate);
	/* Zeroes the page (chunk) at gpa, which Bastion has just validated and the guest cannot
	 * access yet. Non-zero: it could not be mapped or written. */
	int (*page_zero)(void *ctx, gpa_t gpa, enum page_size size);
	/* Gives the guest VMPL full access (RMPADJUST read, write, execute) to the validated
	 * page (chunk) at gpa. Arch code. */
	uint32_t (*page_grant)(void *ctx, gpa_t gpa, enum page_size size);
	/* Takes every permission away from every VMPL >= the guest VMPL on the page (chunk) at
	 * gpa, and makes the change visible on all CPUs (TLB flush). Arch code. */
	uint32_t (*page_revoke)(void *ctx, gpa_t gpa, enum page_size size);

	/* ---- VMSA pages ---- */

	/* Copies len bytes at offset into the 4 KiB VMSA or candidate VMSA page at vmsa. Unlike
	 * guest_read it must accept a page the ledger marks as a VMSA. Non-zero: fault. */
	int (*vmsa_read)(void *ctx, gpa_t vmsa, size_t offset, void *dst, size_t len);
	/* Makes the 4 KiB page at vmsa, whose guest access is already revoked and whose
	 * contents the core has checked, a guest VMSA (SNP: RMPADJUST guest VMPL | read | VMSA;
	 * native: the platform takes it as the vCPU's register state). Arch code; a page the
	 * platform cannot use as a VMSA (SNP erratum: 2 MiB aligned) is CORE_ARCH_FAIL_INPUT. */
	uint32_t (*vmsa_make)(void *ctx, gpa_t vmsa);
	/* Turns the disabled VMSA page at vmsa back into a normal page the guest VMPL fully
	 * accesses (revoke, then grant RWX without the VMSA bit). Arch code. */
	uint32_t (*vmsa_unmake)(void *ctx, gpa_t vmsa);
	/* Clears EFER.SVME of the VMSA at vmsa so no CPU can enter it. Returns false, changing
	 * nothing, if it is running on some CPU right now (the core returns FAIL_INUSE). */
	bool (*vmsa_disable)(void *ctx, gpa_t vmsa);
	/* SEV_FEATURES of the boot vCPU's VMSA; every created VMSA must match it. */
	uint64_t (*boot_sev_features)(void *ctx);

	/* ---- the vCPU registry ---- */

	uint32_t (*vcpu_count)(void *ctx);
	/* Fills *out for vCPU index; false if index >= vcpu_count(). */
	bool (*vcpu_get)(void *ctx, uint32_t index, struct core_vcpu_info *out);
	/* Sets (present) or clears the vCPU's current VMSA. Cannot fail. */
	void (*vcpu_set_vmsa)(void *ctx, uint32_t index, bool present, gpa_t vmsa);
	/* Sets (present) or clears the vCPU's CAA. Cannot fail. */
	void (*vcpu_set_caa)(void *ctx, uint32_t index, bool present, gpa_t caa);

	/* ---- Bastion's deposit pool (optional: all three NULL makes DEPOSIT_MEM and
	 *      WITHDRAW_MEM return SVSM_ERR_UNSUPPORTED_CALL) ---- */

	/* Takes the page (chunk) at gpa, which the ledger shows as guest-owned, validated,
	 * private and neither VMSA nor CAA, into Bastion's allocator: the ledger moves it out of
	 * the guest's states, every VMPL >= guest VMPL loses access (VMPL0 only), and the pages
	 * become allocatable. All or nothing. Arch code (CORE_ARCH_NO_MEMORY if the ledger or the
	 * allocator needed memory). */
	uint32_t (*pool_deposit)(void *ctx, gpa_t gpa, enum page_size size);
	/* Gives one deposited 4 KiB page that Bastion no longer uses back to the guest: out of
	 * the allocator, scrubbed (it may have held Bastion's data), back to guest-owned,
	 * validated, private in the ledger, full access for the guest VMPL. False if there is
	 * none (or it could not be given back; the pool is then unchanged). */
	bool (*pool_withdraw)(void *ctx, gpa_t *gpa);
	/* True if pool_withdraw() would return a page now (SVSM_MEM_AVAILABLE). */
	bool (*pool_has_free)(void *ctx);
};
