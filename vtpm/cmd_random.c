/* TPM2_GetRandom and TPM2_StirRandom (TPM 2.0 Part 3 §16). */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"

/* TPM2B_SENSITIVE_DATA: at most MAX_SYM_DATA (128) bytes. */
#define MAX_SYM_DATA 128u

uint32_t vtpm_cmd_get_random(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t buf[VTPM_MAX_DIGEST];
	uint16_t n = mr_u16(c->in);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* Part 3 §16.1.1: at most the largest digest (TPM2B_DIGEST), fewer is not an error. */
	if (n > VTPM_MAX_DIGEST) {
		n = VTPM_MAX_DIGEST;
	}
	if (vtpm_rng_generate(t, buf, n) != 0) {
		return TPM_RC_FAILURE;
	}
	mw_tpm2b(c->out, buf, n);
	mem_wipe(buf, sizeof(buf));
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_stir_random(struct vtpm *t, struct vtpm_cmd *c)
{
	const uint8_t *data;
	uint16_t n = mr_tpm2b(c->in, MAX_SYM_DATA, &data);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (vtpm_rng_stir(t, data, n) != 0) {
		return TPM_RC_FAILURE;
	}
	return TPM_RC_SUCCESS;
}
