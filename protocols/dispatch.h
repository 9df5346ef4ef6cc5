/*
 * Protocol dispatch: one static const table of the protocols Bastion serves.
 *
 * The table (protocols/dispatch.c) lists, per protocol, its number, a name for logs, the
 * lowest and highest protocol version served, and the handler. svsm_dispatch() searches it
 * for the guest's protocol number (it never indexes it with a guest value); the same table
 * answers SVSM_CORE_QUERY_PROTOCOL through svsm_dispatch_query(), so the set of protocols and
 * the query answers cannot drift apart (STYLE.md 11 item 1). svsm_dispatch_init() checks the
 * table once at boot and panics if it is broken.
 *
 * The table holds the core, attestation and vTPM protocols; each protocol that needs outside
 * services has a backend pointer in struct svsm_call_ctx.
 * Portable (host-testable).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocols/request.h"

struct attest_backend;
struct core_backend;
struct vtpm_backend;

/*
 * Everything a handler may use besides the registers. The request loop fills it per call.
 *   core                 the core protocol's view of the VM (protocols/core_backend.h)
 *   attest               the attestation report and service manifests (protocols/attest.h);
 *                        NULL: the attestation protocol answers UNSUPPORTED_PROTOCOL
 *   vtpm                 the vTPM engine and its bounce buffer (protocols/vtpm_protocol.h);
 *                        NULL when the VM has no vTPM (the vTPM protocol then answers
 *                        SVSM_ERR_UNSUPPORTED_PROTOCOL)
 *   vcpu                 index of the calling vCPU in the backend's vCPU registry
 *   caller_vmsa_deleted  out: SVSM_CORE_DELETE_VCPU deleted the caller's own VMSA; the loop
 *                        must not resume that vCPU (the call "never returns", SVSM spec
 *                        58019 rev 1.00, SVSM_CORE_DELETE_VCPU)
 */
struct svsm_call_ctx {
	const struct core_backend *core;
	const struct attest_backend *attest;
	const struct vtpm_backend *vtpm;
	uint32_t vcpu;
	bool caller_vmsa_deleted;
};

/* A protocol handler: sets res->rax (always) and the output registers the call defines. */
typedef void (*svsm_protocol_handler_fn)(struct svsm_call_ctx *ctx, const struct svsm_request *req,
					 struct svsm_result *res);

struct svsm_protocol_desc {
	uint32_t id;          /* SVSM_*_PROTOCOL */
	const char *name;     /* for logs */
	uint32_t min_version; /* >= 1 */
	uint32_t max_version; /* >= min_version */
	svsm_protocol_handler_fn handle;
};

/*
 * Checks a protocol table: every row has a name and a handler, 1 <= min_version <=
 * max_version, and no two rows share an id. Returns NULL if the table is sound, else a
 * constant string naming the first broken rule.
 */
const char *svsm_dispatch_table_check(const struct svsm_protocol_desc *table, size_t count);

/* Checks Bastion's table (panics with the reason if it is broken) and enables dispatch. */
void svsm_dispatch_init(void);

/*
 * Runs one call. res is reset first (rax, and no output register). Unknown protocol:
 * res->rax = SVSM_ERR_UNSUPPORTED_PROTOCOL; otherwise the protocol handler decides (unknown
 * call: SVSM_ERR_UNSUPPORTED_CALL). Panics if svsm_dispatch_init() has not run.
 */
void svsm_dispatch(struct svsm_call_ctx *ctx, const struct svsm_request *req,
		   struct svsm_result *res);

/*
 * The SVSM_CORE_QUERY_PROTOCOL answer for (protocol, version) (SVSM spec 58019 rev 1.00,
 * SVSM_CORE_QUERY_PROTOCOL; ABI reference 2.4): (max_version << 32) | min_version if the
 * protocol is in the table and min_version <= version <= max_version, else 0.
 */
uint64_t svsm_dispatch_query(uint32_t protocol, uint32_t version);

/* The table row for protocol, or NULL (for logs). */
const struct svsm_protocol_desc *svsm_dispatch_find(uint32_t protocol);
