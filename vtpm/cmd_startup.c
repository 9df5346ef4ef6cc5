/*
 * Start-up, shutdown, testing and clock commands (TPM 2.0 Part 3 §9 "Start-up", §10
 * "Testing", §29.1 "TPM2_ReadClock"), and the Part 1 §12 start-up kinds:
 *   TPM Reset   Startup(CLEAR) not preceded by Shutdown(STATE): PCRs reset, new null seed,
 *               resetCount + 1, restartCount = 0;
 *   TPM Restart Startup(CLEAR) after Shutdown(STATE): PCRs reset, restartCount + 1;
 *   TPM Resume  Startup(STATE) after Shutdown(STATE): saved PCRs restored, restartCount + 1.
 * The saved state is consumed by the Startup that follows it.
 */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/da.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/pcr.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* TPML_ALG: MAX_ALG_LIST_SIZE entries. */
#define MAX_ALG_LIST_SIZE 64u

uint32_t vtpm_cmd_startup(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t null_seed[VTPM_SEED_SIZE + VTPM_PROOF_SIZE];
	uint16_t su;
	uint32_t rc;

	/* Part 3 §9.3.1: a second Startup is TPM_RC_INITIALIZE. */
	if (t->started) {
		return TPM_RC_INITIALIZE;
	}
	su = mr_u16(c->in);
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (su != TPM_SU_CLEAR && su != TPM_SU_STATE) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	/* STATE needs state saved by Shutdown(STATE) (Part 3 §9.3.1: TPM_RC_VALUE "start type
	 * is not compatible with previous shutdown sequence"). */
	if (su == TPM_SU_STATE && t->ps.shutdown != VTPM_SHUTDOWN_STATE) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	if (su == TPM_SU_STATE) {
		vtpm_pcr_resume(t);
		t->ps.restart_count++;
	} else if (t->ps.shutdown == VTPM_SHUTDOWN_STATE) {
		vtpm_pcr_startup_clear(t, c->locality);
		t->ps.restart_count++;
	} else {
		/* TPM Reset: the null hierarchy gets a fresh seed and proof (Part 1,
		 * "Hierarchies": the null seed changes on every TPM Reset). */
		if (vtpm_rng_generate(t, null_seed, sizeof(null_seed)) != 0) {
			mem_wipe(null_seed, sizeof(null_seed));
			return TPM_RC_FAILURE;
		}
		bastion_memcpy(t->ps.seeds[VTPM_HIER_NULL], null_seed, VTPM_SEED_SIZE);
		bastion_memcpy(t->ps.proofs[VTPM_HIER_NULL], null_seed + VTPM_SEED_SIZE,
			       VTPM_PROOF_SIZE);
		mem_wipe(null_seed, sizeof(null_seed));
		vtpm_pcr_startup_clear(t, c->locality);
		t->ps.reset_count++;
		t->ps.restart_count = 0;
		vtpm_da_tpm_reset(t);
	}
	/* TPMA_STARTUP_CLEAR (Part 2 §8.12): every Startup(CLEAR) enables the hierarchies. */
	if (su == TPM_SU_CLEAR) {
		vtpm_hierarchy_startup_clear(t);
		/* NV (nv.h): STCLEAR locks end, CLEAR_STCLEAR indices become unwritten. */
		vtpm_nv_startup_clear(t);
	}
	t->orderly = t->ps.shutdown != VTPM_SHUTDOWN_NONE;
	t->ps.shutdown = VTPM_SHUTDOWN_NONE;
	t->started = true;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_shutdown(struct vtpm *t, struct vtpm_cmd *c)
{
	uint16_t su = mr_u16(c->in);
	uint32_t rc;

	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (su == TPM_SU_STATE) {
		vtpm_pcr_save(t);
		t->ps.shutdown = VTPM_SHUTDOWN_STATE;
	} else if (su == TPM_SU_CLEAR) {
		t->ps.shutdown = VTPM_SHUTDOWN_CLEAR;
	} else {
		return rc_param(TPM_RC_VALUE, 1);
	}
	vtpm_clock_update(t, true);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_self_test(struct vtpm *t, struct vtpm_cmd *c)
{
	uint8_t full = mr_u8(c->in);
	uint32_t rc;

	(void)t;
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (full != TPM_YES && full != TPM_NO) {
		return rc_param(TPM_RC_VALUE, 1);
	}
	/* The algorithms are tested before use (crypto/ known answers run in the test image);
	 * nothing is left to test, so both kinds succeed at once. */
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_incremental_self_test(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t count = mr_u32(c->in);
	uint32_t rc;

	(void)t;
	if (c->in->rc == TPM_RC_SUCCESS && count > MAX_ALG_LIST_SIZE) {
		mr_fail(c->in, TPM_RC_SIZE);
	}
	for (uint32_t i = 0; i < count && c->in->rc == TPM_RC_SUCCESS; i++) {
		(void)mr_u16(c->in); /* TPM_ALG_ID: any value; nothing needs testing */
	}
	if (c->in->rc != TPM_RC_SUCCESS) {
		return rc_param(c->in->rc, 1);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	mw_u32(c->out, 0); /* toDoList: empty */
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_get_test_result(struct vtpm *t, struct vtpm_cmd *c)
{
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	mw_u16(c->out, 0); /* outData: no vendor diagnostics */
	mw_u32(c->out, t->failure || !t->ps.manufactured || !t->table_ok ? TPM_RC_FAILURE
								     : TPM_RC_SUCCESS);
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_cmd_read_clock(struct vtpm *t, struct vtpm_cmd *c)
{
	uint64_t since_init;
	uint32_t rc = cmd_params_end(c);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	/* TPMS_TIME_INFO (Part 2 §10.11.6): time = ms since _TPM_Init (the hook's clock),
	 * clockInfo.clock = the non-volatile Clock, which continues across power cycles. */
	since_init = t->plat.clock_ms(t->plat.ctx);
	mw_u64(c->out, since_init);
	mw_u64(c->out, t->clock_base + since_init);
	mw_u32(c->out, t->ps.reset_count);
	mw_u32(c->out, t->ps.restart_count);
	mw_u8(c->out, TPM_YES); /* safe: Clock is kept in memory and never goes back */
	return TPM_RC_SUCCESS;
}
