/*
 * The SVSM core protocol (protocol 0): REMAP_CA, PVALIDATE, CREATE_VCPU, DELETE_VCPU,
 * DEPOSIT_MEM, WITHDRAW_MEM, QUERY_PROTOCOL and CONFIGURE_VTOM (SVSM spec 58019 rev 1.00,
 * "Core Protocol"; ABI reference 2.2 to 2.5; guest-visible behaviour of every call in
 * docs/abi.md).
 *
 * The handlers are portable: everything outside (guest memory, the RMP, VMSA pages, the vCPU
 * registry, the deposit pool) goes through struct core_backend (protocols/core_backend.h).
 * Portable (host-testable).
 */
#pragma once

#include <stdint.h>

#include "protocols/dispatch.h"
#include "protocols/request.h"
#include "protocols/svsm_abi.h"

struct core_backend;

/* Core protocol versions served (the dispatch table and SVSM_SECRETS_MAX_VERSION). */
#define CORE_PROTOCOL_VERSION_MIN 1u
#define CORE_PROTOCOL_VERSION_MAX 1u

/* ---- tunables ---------------------------------------------------------------------------- */

/*
 * Work bound of one PVALIDATE or DEPOSIT_MEM call, in 4 KiB pages (16384 = 64 MiB, i.e. 32
 * 2 MiB entries), unless struct core_backend.page_budget overrides it. When the next entry
 * would exceed it the call stops with SVSM_ERR_INCOMPLETE and `next` naming that entry; the
 * guest re-issues the same call. The first entry of a call is always processed, so every call
 * makes progress. Bounds the time the VM's core lock is held (a 2 MiB validate zeroes 2 MiB).
 */
#define CORE_PAGE_BUDGET_DEFAULT 16384u

/* Most pages one WITHDRAW_MEM call returns (each is scrubbed by the backend: 1 MiB). */
#define CORE_WITHDRAW_MAX_PAGES 256u

/*
 * What a call returns when Bastion runs out of memory for its own bookkeeping (a ledger leaf
 * when a 2 MiB chunk first gets mixed 4 KiB states, or pool metadata): "more memory needed,
 * deposit 1 page" (SVSM spec 58019 rev 1.00, result codes 0x40000000..0x7FFFFFFF). The call
 * has recorded its progress (`next`), so the guest can DEPOSIT_MEM and re-issue it.
 */
#define CORE_NO_MEMORY_PAGES 1u
#define CORE_RESULT_NO_MEMORY (SVSM_MEM_NEEDED_BASE | CORE_NO_MEMORY_PAGES)

/*
 * The core protocol's row handler (dispatch.c). ctx->core must point at a complete backend
 * and ctx->vcpu name the calling vCPU; panics otherwise (a wiring bug).
 * Sets res->rax to the call's result; see each call's doc comment in core.c for its codes.
 * Unknown call id: SVSM_ERR_UNSUPPORTED_CALL.
 */
void core_protocol_handle(struct svsm_call_ctx *ctx, const struct svsm_request *req,
			  struct svsm_result *res);

/*
 * Writes SVSM_MEM_AVAILABLE (1 if pool_has_free(), else 0) into the boot vCPU's CAA (ABI
 * reference 2.3). The core calls it after DEPOSIT_MEM and WITHDRAW_MEM; the kernel calls it
 * after Bastion itself allocates from or frees to the deposit pool. A failed write is
 * ignored: the byte is advisory and the guest can always try WITHDRAW_MEM.
 */
void core_mem_available_update(const struct core_backend *be);
