/*
 * The command engine: life cycle (vtpm.h) and vtpm_execute, which validates one command's
 * header, handle area and authorization area (TPM 2.0 Part 1 §18 "TPM Command/Response
 * Structure", Part 3 §5 "Command Processing"), runs the handler from the command table and
 * builds the response (parameterSize and the response authorization area for
 * TPM_ST_SESSIONS).
 *
 * Sessions: only the password session TPM_RS_PW is implemented (Part 1, "Password
 * Authorizations"). HMAC and policy session handles refer to sessions that cannot be loaded
 * yet: TPM_RC_REFERENCE_S0 + index; anything else in a session handle is TPM_RC_VALUE with
 * the session number (TPMI_SH_AUTH_SESSION).
 */
#include "kernel/string.h"
#include "vtpm/commands.h"
#include "vtpm/pcr.h"
#include "vtpm/random.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#define HEADER_SIZE 10u
/* Smallest TPMS_AUTH_COMMAND: handle(4) + nonce size(2) + attributes(1) + hmac size(2). */
#define MIN_SESSION_SIZE 9u
/* TPM2B_NONCE and TPM2B_AUTH both hold at most sizeof(TPMU_HA). */
#define MAX_NONCE_SIZE VTPM_MAX_DIGEST
#define MAX_AUTH_SIZE VTPM_MAX_DIGEST

struct session {
	uint32_t handle;
	uint8_t attributes;
	uint16_t hmac_size;
	const uint8_t *hmac;
};

size_t vtpm_size(void)
{
	return (sizeof(struct vtpm) + 15u) & ~(size_t)15u;
}

int vtpm_init(struct vtpm *t, const struct vtpm_platform *platform)
{
	if (t == NULL || platform == NULL || platform->entropy == NULL ||
	    platform->clock_ms == NULL) {
		return -1;
	}
	bastion_memset(t, 0, sizeof(*t));
	t->plat = *platform;
	t->initialised = true;
	t->table_ok = vtpm_command_table_valid();
	return 0;
}

void vtpm_power_on(struct vtpm *t)
{
	if (t == NULL || !t->initialised) {
		return;
	}
	/* _TPM_Init (Part 1 §12.2.2): volatile state lost, Startup required. The clock keeps
	 * counting from its last observed value (a TPM's Clock is non-volatile). */
	t->clock_base = t->clock_last;
	t->started = false;
	t->orderly = false;
	t->failure = false;
	t->pcr_counter = 0;
	bastion_memset(t->pcr, 0, sizeof(t->pcr));
	if (vtpm_rng_instantiate(t) != 0) {
		t->failure = true;
	}
}

int vtpm_manufacture(struct vtpm *t)
{
	struct {
		uint8_t seeds[VTPM_NUM_HIERARCHIES][VTPM_SEED_SIZE];
		uint8_t proofs[VTPM_NUM_HIERARCHIES][VTPM_PROOF_SIZE];
	} fresh;
	int rc;

	if (t == NULL || !t->initialised) {
		return -1;
	}
	rc = t->plat.entropy(t->plat.ctx, (uint8_t *)&fresh, sizeof(fresh));
	if (rc == 0) {
		bastion_memcpy(t->seeds, fresh.seeds, sizeof(fresh.seeds));
		bastion_memcpy(t->proofs, fresh.proofs, sizeof(fresh.proofs));
		t->pcr_allocated = (uint8_t)((1u << VTPM_NUM_HASHES) - 1u);
		t->clock_base = 0;
		t->clock_last = 0;
		t->reset_count = 0;
		t->restart_count = 0;
		t->shutdown = VTPM_SHUTDOWN_NONE;
		bastion_memset(t->saved_pcr, 0, sizeof(t->saved_pcr));
		t->saved_pcr_counter = 0;
		t->manufactured = true;
		vtpm_power_on(t);
	}
	mem_wipe(&fresh, sizeof(fresh));
	return rc == 0 && !t->failure ? 0 : -1;
}

/* Parses the authorization area (Part 1 §18 "Authorization Area"): authorizationSize, then 1..3 sessions
 * filling it exactly. */
static uint32_t parse_sessions(struct mr *in, struct session *s, unsigned int *count)
{
	uint32_t auth_size = mr_u32(in);
	const uint8_t *area;
	struct mr a;
	unsigned int n = 0;

	if (in->rc != TPM_RC_SUCCESS || auth_size < MIN_SESSION_SIZE ||
	    auth_size > mr_remaining(in)) {
		return TPM_RC_AUTHSIZE;
	}
	area = mr_bytes(in, auth_size);
	mr_init(&a, area, auth_size);
	while (mr_remaining(&a) != 0) {
		const uint8_t *nonce;
		uint16_t nonce_size;

		if (n == VTPM_MAX_SESSIONS) {
			return TPM_RC_AUTHSIZE;
		}
		s[n].handle = mr_u32(&a);
		nonce_size = mr_tpm2b(&a, MAX_NONCE_SIZE, &nonce);
		s[n].attributes = mr_u8(&a);
		s[n].hmac_size = mr_tpm2b(&a, MAX_AUTH_SIZE, &s[n].hmac);
		if (a.rc == TPM_RC_SIZE) {
			return rc_session(TPM_RC_SIZE, n + 1);
		}
		if (a.rc != TPM_RC_SUCCESS) {
			return TPM_RC_AUTHSIZE;
		}
		/* Part 1, "Password Authorizations": nonceCaller is the Empty Buffer. */
		if (s[n].handle == TPM_RS_PW && nonce_size != 0) {
			return rc_session(TPM_RC_SIZE, n + 1);
		}
		n++;
	}
	*count = n;
	return TPM_RC_SUCCESS;
}

/* Checks the sessions against the command's authorization needs (Part 1, "Authorizations"). */
static uint32_t check_sessions(const struct vtpm_command_desc *d, const struct session *s,
			       unsigned int count)
{
	unsigned int needed = 0;

	for (unsigned int h = 0; h < d->n_handles; h++) {
		needed += (d->auth_mask >> h) & 1u;
	}
	for (unsigned int i = 0; i < count; i++) {
		uint32_t ht = s[i].handle >> 24;

		if (s[i].handle == TPM_RS_PW) {
			if (s[i].attributes & TPMA_SESSION_RESERVED) {
				return rc_session(TPM_RC_RESERVED_BITS, i + 1);
			}
			/* A password session authorizes a handle and nothing else: no audit, no
			 * parameter encryption. */
			if (s[i].attributes & (uint8_t)~TPMA_SESSION_CONTINUE) {
				return rc_session(TPM_RC_ATTRIBUTES, i + 1);
			}
			if (i >= needed) {
				return rc_session(TPM_RC_HANDLE, i + 1);
			}
		} else if (ht == TPM_HT_HMAC_SESSION || ht == TPM_HT_POLICY_SESSION) {
			return TPM_RC_REFERENCE_S0 + i;
		} else {
			return rc_session(TPM_RC_VALUE, i + 1);
		}
	}
	if (count < needed) {
		return TPM_RC_AUTH_MISSING;
	}
	return TPM_RC_SUCCESS;
}

/* The password check: every entity this slice knows (PCRs, TPM_RH_NULL) has the empty
 * authValue. Trailing zero octets of a password are not significant (authValues are used
 * with trailing zeros removed, Part 1 "Password Authorizations"), so "" and "\0\0" both
 * match. Once entities have secret authValues this compare must become ct_memeq. */
static uint32_t check_passwords(const struct vtpm_command_desc *d, const struct session *s)
{
	unsigned int si = 0;

	for (unsigned int h = 0; h < d->n_handles; h++) {
		size_t len;

		if (!((d->auth_mask >> h) & 1u)) {
			continue;
		}
		len = s[si].hmac_size;
		while (len > 0 && s[si].hmac[len - 1] == 0) {
			len--;
		}
		if (len != 0) {
			return rc_session(TPM_RC_AUTH_FAIL, si + 1);
		}
		si++;
	}
	return TPM_RC_SUCCESS;
}

static bool handle_valid(enum vtpm_handle_kind kind, uint32_t h)
{
	switch (kind) {
	case VTPM_H_PCR:
		return h < VTPM_NUM_PCRS;
	case VTPM_H_PCR_NULL:
		return h < VTPM_NUM_PCRS || h == TPM_RH_NULL;
	case VTPM_H_NONE:
		break;
	}
	return false;
}

static bool allowed_in_failure_mode(uint32_t cc)
{
	/* Part 1, "Failure Mode": GetTestResult and GetCapability still answer. */
	return cc == TPM_CC_GET_TEST_RESULT || cc == TPM_CC_GET_CAPABILITY;
}

/* Runs one command; the response is in t->rsp[0..*len). */
static uint32_t run(struct vtpm *t, uint8_t locality, const uint8_t *cmd, size_t cmd_len,
		    uint16_t *rsp_tag, size_t *len)
{
	struct session sessions[VTPM_MAX_SESSIONS];
	unsigned int n_sessions = 0;
	const struct vtpm_command_desc *d;
	struct vtpm_cmd c;
	struct mr in;
	struct mw out;
	uint16_t tag;
	uint32_t size;
	uint32_t rc;
	size_t params_at;
	size_t rhandle_at = 0;
	size_t psize_at = 0;

	*rsp_tag = TPM_ST_NO_SESSIONS;
	*len = HEADER_SIZE;

	/* Header (Part 3 §5.2). A TPM 1.2-style or garbage tag is answered in the TPM 1.2
	 * response format so a 1.2 driver can read it. */
	if (cmd_len < 2) {
		return TPM_RC_COMMAND_SIZE;
	}
	tag = be16(cmd);
	if (tag != TPM_ST_NO_SESSIONS && tag != TPM_ST_SESSIONS) {
		*rsp_tag = TPM_ST_RSP_COMMAND;
		return TPM_RC_BAD_TAG;
	}
	if (cmd_len < HEADER_SIZE) {
		return TPM_RC_COMMAND_SIZE;
	}
	size = be32(cmd + 2);
	if (size != cmd_len || size < HEADER_SIZE || size > VTPM_MAX_COMMAND_SIZE) {
		return TPM_RC_COMMAND_SIZE;
	}
	/* From here on cmd_len <= VTPM_MAX_COMMAND_SIZE: the whole command is in t->cmd. */
	c.cc = be32(cmd + 6);
	d = vtpm_command_find(c.cc);
	if (d == NULL) {
		return TPM_RC_COMMAND_CODE;
	}
	if (t->failure || !t->table_ok || !t->manufactured) {
		if (!allowed_in_failure_mode(c.cc)) {
			return TPM_RC_FAILURE;
		}
	} else if (!t->started && c.cc != TPM_CC_STARTUP) {
		return TPM_RC_INITIALIZE;
	}
	if (locality > 4) {
		return TPM_RC_LOCALITY;
	}

	/* Handle area: the table says how many and of which interface type. */
	mr_init(&in, cmd + HEADER_SIZE, cmd_len - HEADER_SIZE);
	for (unsigned int h = 0; h < VTPM_MAX_HANDLES; h++) {
		c.handles[h] = 0;
	}
	for (unsigned int h = 0; h < d->n_handles; h++) {
		c.handles[h] = mr_u32(&in);
		if (in.rc != TPM_RC_SUCCESS) {
			return rc_handle(TPM_RC_INSUFFICIENT, h + 1);
		}
		if (!handle_valid((enum vtpm_handle_kind)d->kind[h], c.handles[h])) {
			return rc_handle(TPM_RC_VALUE, h + 1);
		}
	}

	/* Authorization area. */
	if (tag == TPM_ST_SESSIONS) {
		rc = parse_sessions(&in, sessions, &n_sessions);
		if (rc == TPM_RC_SUCCESS) {
			rc = check_sessions(d, sessions, n_sessions);
		}
		if (rc == TPM_RC_SUCCESS) {
			rc = check_passwords(d, sessions);
		}
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
	} else if (d->auth_mask != 0) {
		return TPM_RC_AUTH_MISSING;
	}

	/* Response layout: header | [handle] | [parameterSize] | parameters | [sessions]. */
	mw_init(&out, t->rsp, sizeof(t->rsp));
	out.off = HEADER_SIZE;
	if (d->flags & VTPM_CMD_RHANDLE) {
		rhandle_at = out.off;
		mw_u32(&out, 0);
	}
	if (tag == TPM_ST_SESSIONS) {
		psize_at = out.off;
		mw_u32(&out, 0);
	}
	params_at = out.off;

	c.locality = locality;
	c.in = &in;
	c.out = &out;
	c.rsp_handle = 0;
	rc = d->fn(t, &c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (out.overflow) {
		/* Handlers bound their output (GetCapability by TPM_PT_MAX_CAP_BUFFER); reaching
		 * this is an engine bug, reported without crashing. */
		return TPM_RC_MEMORY;
	}
	if (d->flags & VTPM_CMD_RHANDLE) {
		mw_patch_u32(&out, rhandle_at, c.rsp_handle);
	}
	if (tag == TPM_ST_SESSIONS) {
		mw_patch_u32(&out, psize_at, (uint32_t)(out.off - params_at));
		/* Password session response (Part 1, "Password Authorizations"): empty nonceTPM, continueSession as
		 * the caller set it, empty hmac. */
		for (unsigned int i = 0; i < n_sessions; i++) {
			mw_u16(&out, 0);
			mw_u8(&out, (uint8_t)(sessions[i].attributes & TPMA_SESSION_CONTINUE));
			mw_u16(&out, 0);
		}
		if (out.overflow) {
			return TPM_RC_MEMORY;
		}
		*rsp_tag = TPM_ST_SESSIONS;
	}
	*len = out.off;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_execute(struct vtpm *t, uint8_t locality, const uint8_t *cmd, size_t cmd_len,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len)
{
	uint16_t tag;
	size_t len;
	uint32_t rc;

	if (rsp_len != NULL) {
		*rsp_len = 0;
	}
	if (t == NULL || rsp == NULL || rsp_len == NULL || rsp_cap < HEADER_SIZE) {
		return TPM_RC_FAILURE;
	}
	if (!t->initialised) {
		tag = TPM_ST_NO_SESSIONS;
		len = HEADER_SIZE;
		rc = TPM_RC_FAILURE;
	} else {
		size_t copy;

		if (cmd == NULL) {
			cmd_len = 0;
		}
		/* One read of the caller's bytes; anything longer than the largest command is
		 * refused on its header alone (TPM_RC_COMMAND_SIZE or TPM_RC_BAD_TAG). */
		copy = cmd_len < sizeof(t->cmd) ? cmd_len : sizeof(t->cmd);
		if (copy != 0) {
			bastion_memcpy(t->cmd, cmd, copy);
		}
		t->clock_last = t->clock_base + t->plat.clock_ms(t->plat.ctx);
		rc = run(t, locality, t->cmd, cmd_len, &tag, &len);
		if (rc != TPM_RC_SUCCESS) {
			tag = tag == TPM_ST_RSP_COMMAND ? TPM_ST_RSP_COMMAND : TPM_ST_NO_SESSIONS;
			len = HEADER_SIZE;
		} else if (len > rsp_cap) {
			/* The caller's buffer is smaller than VTPM_MAX_RESPONSE_SIZE and this
			 * response does not fit (vtpm.h makes that the caller's choice). */
			rc = TPM_RC_SIZE;
			tag = TPM_ST_NO_SESSIONS;
			len = HEADER_SIZE;
		} else {
			bastion_memcpy(rsp + HEADER_SIZE, t->rsp + HEADER_SIZE, len - HEADER_SIZE);
		}
	}
	put_be16(rsp, tag);
	put_be32(rsp + 2, (uint32_t)len);
	put_be32(rsp + 6, rc);
	*rsp_len = len;
	return rc;
}
