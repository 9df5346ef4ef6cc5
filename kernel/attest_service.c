/* The attestation protocol's backend: see attest_service.h. */
#include "kernel/layout.h"
#include "kernel/attest_service.h"

#include "kernel/main.h"
#include "kernel/native_report.h"
#include "kernel/panic.h"
#include "kernel/platform.h"
#include "kernel/vtpm_service.h"
#include "mm/slab.h"

static struct attest_backend attest_be __ro_after_init;

static int service_report(void *ctx, const uint8_t report_data[64], uint8_t *report)
{
	size_t len = 0;
	int r;

	(void)ctx;
	r = platform()->attestation_report(report_data, report, ATTEST_REPORT_SIZE, &len);
	if (r == -2) {
		return ATTEST_REPORT_BUSY;
	}
	return r == 0 && len == ATTEST_REPORT_SIZE ? ATTEST_REPORT_OK : ATTEST_REPORT_FAIL;
}

static int service_vtpm_manifest(void *ctx, uint32_t version, uint8_t *out, size_t cap,
				 size_t *len)
{
	(void)ctx;
	if (version != 0) {
		return -1;
	}
	return vtpm_service_ek_public(out, cap, len);
}

void attest_service_init(void)
{
	if (!platform()->has_vmpls) {
		native_report_init();
	}
	attest_be.scratch = kzalloc(ATTEST_SCRATCH_SIZE);
	if (attest_be.scratch == NULL) {
		panic("attest: no memory for the protocol's buffers");
	}
	attest_be.report = service_report;
	attest_be.vtpm_manifest = service_vtpm_manifest;
}

const struct attest_backend *attest_service_backend(void)
{
	return attest_be.report != NULL ? &attest_be : NULL;
}
