/*
 * The protocol table and the dispatcher (see dispatch.h).
 */
#include "protocols/dispatch.h"

#include "kernel/check.h"
#include "kernel/panic.h"
#include "protocols/attest.h"
#include "protocols/core.h"
#include "protocols/svsm_abi.h"
#include "protocols/vtpm_protocol.h"

/*
 * Bastion's protocols, in .rodata. A protocol without a row answers
 * SVSM_ERR_UNSUPPORTED_PROTOCOL and QUERY_PROTOCOL 0.
 */
static const struct svsm_protocol_desc svsm_protocols[] = {
	{
		.id = SVSM_CORE_PROTOCOL,
		.name = "core",
		.min_version = CORE_PROTOCOL_VERSION_MIN,
		.max_version = CORE_PROTOCOL_VERSION_MAX,
		.handle = core_protocol_handle,
	},
	{
		.id = SVSM_ATTEST_PROTOCOL,
		.name = "attestation",
		.min_version = ATTEST_PROTOCOL_VERSION_MIN,
		.max_version = ATTEST_PROTOCOL_VERSION_MAX,
		.handle = attest_protocol_handle,
	},
	{
		.id = SVSM_VTPM_PROTOCOL,
		.name = "vtpm",
		.min_version = VTPM_PROTOCOL_VERSION_MIN,
		.max_version = VTPM_PROTOCOL_VERSION_MAX,
		.handle = vtpm_protocol_handle,
	},
};

#define SVSM_PROTOCOL_COUNT (sizeof(svsm_protocols) / sizeof(svsm_protocols[0]))

static bool svsm_dispatch_ready;

const char *svsm_dispatch_table_check(const struct svsm_protocol_desc *table, size_t count)
{
	if (table == NULL && count != 0) {
		return "table is NULL";
	}
	for (size_t i = 0; i < count; i++) {
		const struct svsm_protocol_desc *d = &table[i];

		if (d->name == NULL) {
			return "a row has no name";
		}
		if (d->handle == NULL) {
			return "a row has no handler";
		}
		if (d->min_version == 0) {
			return "a row has min_version 0 (versions start at 1)";
		}
		if (d->min_version > d->max_version) {
			return "a row has min_version > max_version";
		}
		for (size_t j = 0; j < i; j++) {
			if (table[j].id == d->id) {
				return "two rows have the same protocol id";
			}
		}
	}
	return NULL;
}

void svsm_dispatch_init(void)
{
	const char *reason = svsm_dispatch_table_check(svsm_protocols, SVSM_PROTOCOL_COUNT);

	if (reason != NULL) {
		panic("svsm_dispatch_init: broken protocol table: %s", reason);
	}
	svsm_dispatch_ready = true;
}

const struct svsm_protocol_desc *svsm_dispatch_find(uint32_t protocol)
{
	for (size_t i = 0; i < SVSM_PROTOCOL_COUNT; i++) {
		if (svsm_protocols[i].id == protocol) {
			return &svsm_protocols[i];
		}
	}
	return NULL;
}

uint64_t svsm_dispatch_query(uint32_t protocol, uint32_t version)
{
	const struct svsm_protocol_desc *d = svsm_dispatch_find(protocol);

	if (d == NULL || version < d->min_version || version > d->max_version) {
		return 0;
	}
	return svsm_query_protocol_answer(d->min_version, d->max_version);
}

void svsm_dispatch(struct svsm_call_ctx *ctx, const struct svsm_request *req,
		   struct svsm_result *res)
{
	const struct svsm_protocol_desc *d = NULL;

	CHECK(svsm_dispatch_ready);
	CHECK(ctx != NULL && req != NULL && res != NULL);
	*res = svsm_result_code(SVSM_ERR_UNSUPPORTED_PROTOCOL);
	d = svsm_dispatch_find(req->protocol);
	if (d == NULL) {
		return;
	}
	d->handle(ctx, req, res);
}
