/*
 * Per-CPU GHCB page bring-up and teardown under SEV-SNP (GHCB spec 56421, "GHCB MSR Protocol"
 * (register GHCB GPA, SNP page state change) and "GHCB layout"; svsm-snp-igvm-abi.md 3.2,
 * 3.3): a page from Bastion's allocator (private, validated, mapped with the C-bit) becomes a
 * shared page the hypervisor can read, registered as this vCPU's GHCB.
 *
 * ghcb_setup(), in this order (each step depends on the previous one):
 *   1. PVALIDATE rescind, 4 KiB (a page must be invalid before it is made shared; ABI
 *      reference 3.5). CF = 1 ("already invalid") is a failure: the allocator handed out a
 *      page that was not validated.
 *   2. Page state change to shared with the MSR protocol: request 0x014 | GFN << 12 |
 *      2 << 52, response 0x015 with bits 63:32 = 0 (ghcb_msr_psc() checks code, reserved
 *      bits and error).
 *   3. Clear the C-bit of the page's mapping (ops->set_encrypted(va, false): the caller's
 *      page-table code, which also flushes the TLB entry).
 *   4. Zero the page through the new mapping and read it back: every byte must be zero,
 *      proving the shared mapping reads what Bastion wrote.
 *   5. Register the GPA with the MSR protocol: request 0x012 | GFN << 12, response 0x013
 *      whose bits 63:12 must echo the GFN (ghcb_msr_register(); a host that refuses answers
 *      another GFN, e.g. all ones).
 *   6. ghcb_ctx_init(): the context is ready for ghcb.c's NAE calls.
 * ghcb_teardown() reverses it: PSC to private (0x014 with op 1), set the C-bit, PVALIDATE
 * validate (4 KiB; CF = 1 is a failure: the page was already valid, i.e. replayed), zero the
 * page, clear the context. The hypervisor has no "unregister"; the vCPU must register another
 * GHCB before its next GHCB page exit.
 *
 * Failures are never returned: each one logs one line naming the step and the snp_result
 * (through ops->log) and terminates the VM with ghcb_msr_terminate(), reason set 1
 * (GHCB_TERM_SET_BASTION) and the code of the step: BASTION_TERM_PVALIDATE, _PSC,
 * _GHCB_SETUP (mapping change, read-back), _GHCB_REGISTER. A page whose state is unknown
 * cannot be given back to the allocator, and a vCPU without a GHCB cannot do I/O.
 * Bastion bugs (unaligned addresses, missing ops) are CHECKs.
 *
 * Uses the GHCB MSR, so the caller keeps any other user of the MSR protocol and any #VC
 * source (CPUID, IN/OUT, intercepted MSRs) away from this CPU meanwhile; call it with
 * interrupts off, once per CPU, before vc_init()'s handler needs the GHCB.
 * Portable: the instructions go through arch/x86/snp/insn.h (the mock hypervisor on the host).
 */
#pragma once

#include <stdbool.h>

#include "arch/x86/snp/ghcb.h"
#include "mm/addr.h"

struct ghcb_setup_ops {
	/*
	 * Sets (encrypted true) or clears the C-bit in Bastion's 4 KiB mapping of va and flushes
	 * its TLB entry. Returns 0, or -1 if va is not mapped as one 4 KiB page it may change.
	 */
	int (*set_encrypted)(vaddr_t va, bool encrypted);
	/* Logs one complete line (no newline). */
	void (*log)(const char *line);
};

/*
 * Turns the 4 KiB page mapped at va (GPA pa; private, validated, C-bit set) into this CPU's
 * registered GHCB and initialises *ctx for it (steps above). Returns only on success.
 */
void ghcb_setup(struct ghcb_ctx *ctx, const struct ghcb_setup_ops *ops, vaddr_t va, paddr_t pa);

/*
 * Gives the GHCB of ctx back as a private, validated, zeroed page mapped with the C-bit, and
 * clears *ctx. Returns only on success. The caller frees the page afterwards.
 */
void ghcb_teardown(struct ghcb_ctx *ctx, const struct ghcb_setup_ops *ops);
