/*
 * The core protocol's backend on SEV-SNP (protocols/core_backend.h): the page operations are
 * the real instructions (PVALIDATE, RMPADJUST through arch/x86/snp/pvalidate.h) on a mapping
 * Bastion makes for the call; the deposit pool is mm/deposit_pool.h.
 *
 *   pvalidate  PVALIDATE of the page/chunk (CF = 1 -> CORE_ARCH_NO_CHANGE)
 *   zero       memset through the mapping
 *   grant      RMPADJUST guest VMPL, read | write | execute (user and supervisor)
 *   revoke     RMPADJUST VMPL1..3 to nothing, then flush (the env's TLB shootdown)
 *   vmsa_make  RMPADJUST guest VMPL | read | VMSA (refused for a 2 MiB-aligned page)
 *   vmsa_unmake  revoke, then grant without the VMSA bit
 *   vmsa_disable clears EFER.SVME in the page (single CPU: the caller's VMSA is never
 *              disabled by the core, and no other vCPU runs a guest VMSA until SMP, #9)
 *   pool       DEPOSIT: ledger, revoke, pool; WITHDRAW: pool, scrub, ledger, grant
 *
 * Portable: the mapping, flush and instructions go through the env and insn.h, so the host
 * tests run it against the mock hypervisor with host memory standing in for guest RAM.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "mm/addr.h"

struct core_backend;
struct deposit_pool;
struct page_state;

struct snp_core_env {
	struct page_state *ledger;
	struct deposit_pool *pool; /* NULL: DEPOSIT_MEM/WITHDRAW_MEM unsupported */
	uint8_t guest_vmpl;        /* 1..3 */
	uint64_t boot_sev_features;
	/* Maps [gpa, gpa + bytes) (4 KiB or 2 MiB, aligned to its size) private into Bastion at
	 * a VA aligned to bytes; NULL if it cannot. */
	void *(*map)(gpa_t gpa, uint64_t bytes);
	void (*unmap)(void *va);
	/* Makes a revoke visible on every CPU (lower-VMPL TLB entries for the range). */
	void (*flush)(gpa_t gpa, uint64_t bytes);
};

/*
 * Fills the page, VMSA and pool operations of *be with the SNP implementations and be->ctx =
 * env (which must outlive be). The caller fills guest_read, guest_write, the registry and
 * ledger fields.
 */
void snp_core_backend_fill(struct core_backend *be, struct snp_core_env *env);
