/*
 * Host tests of the hierarchy commands (vtpm/cmd_hierarchy.c, Part 3 §24) and of
 * dictionary-attack protection (vtpm/da.[ch], Part 1 §19.8, Part 3 §25), built into
 * build/host/vtpm_tests: HierarchyChangeAuth and using the new auth, SetPrimaryPolicy and a
 * policy session satisfying it, HierarchyControl rules and effects, Clear/ClearControl
 * effects (auths, NV indices, seeds, Clock), ChangePPS/ChangeEPS, DA counting, lockout,
 * self-healing and lockoutAuth recovery driven by the fake clock, and TPMA_PERMANENT /
 * TPMA_STARTUP_CLEAR / DA properties.
 */
#include <string.h>

#include "tests/ktest/ktest.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#include "tests/vtpm/vtpm_fixture.h"

#define IDX 0x01400001u

static uint32_t pwc(struct fix *f, uint32_t cc, uint32_t h, const char *pw, const void *params,
		    size_t pl)
{
	struct fauth a = { NULL, pw, pw ? strlen(pw) : 0, false, NULL, 0 };

	return auth_cmd(f, cc, &h, 1, &a, 1, params, pl);
}

static uint32_t change_auth(struct fix *f, uint32_t h, const char *old, const char *nw)
{
	uint8_t p[80];
	size_t n = nw ? strlen(nw) : 0;

	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	memcpy(p + 2, nw ? nw : "", n);
	return pwc(f, TPM_CC_HIERARCHY_CHANGE_AUTH, h, old, p, 2 + n);
}

static uint32_t hier_control(struct fix *f, uint32_t auth, const char *pw, uint32_t enable,
			     uint8_t state)
{
	uint8_t p[5] = { (uint8_t)(enable >> 24), (uint8_t)(enable >> 16), (uint8_t)(enable >> 8),
			 (uint8_t)enable, state };

	return pwc(f, TPM_CC_HIERARCHY_CONTROL, auth, pw, p, 5);
}

static uint32_t prop(struct fix *f, uint32_t pt)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_GET_CAPABILITY);
	cb_u32(&c, TPM_CAP_TPM_PROPERTIES);
	cb_u32(&c, pt);
	cb_u32(&c, 1);
	if (run(f, &c) != TPM_RC_SUCCESS || get32(f->rsp + 19) != pt) {
		return 0xFFFFFFFFu;
	}
	return get32(f->rsp + 23);
}

/* An owner index with authValue pw (DA-protected unless no_da). */
static uint32_t define_idx(struct fix *f, uint32_t index, const char *pw, bool no_da,
			   const char *owner_pw)
{
	struct cb c;
	uint32_t attrs = TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD | TPMA_NV_AUTHWRITE |
			 TPMA_NV_AUTHREAD | (no_da ? TPMA_NV_NO_DA : 0);

	c.n = 0;
	cb_tpm2b(&c, pw, (uint16_t)strlen(pw));
	cb_u16(&c, 14);
	cb_u32(&c, index);
	cb_u16(&c, TPM_ALG_SHA256);
	cb_u32(&c, attrs);
	cb_u16(&c, 0);
	cb_u16(&c, 8);
	return pwc(f, TPM_CC_NV_DEFINE_SPACE, TPM_RH_OWNER, owner_pw, c.b, c.n);
}

static uint32_t idx_write(struct fix *f, uint32_t index, const char *pw)
{
	uint32_t h[2] = { index, index };
	struct fauth a = { NULL, pw, strlen(pw), false, NULL, 0 };
	uint8_t p[5] = { 0, 1, 0x5A, 0, 0 };

	return auth_cmd(f, TPM_CC_NV_WRITE, h, 2, &a, 1, p, 5);
}

static void power_cycle(struct fix *f, int shutdown, uint16_t startup)
{
	struct cb c;

	if (shutdown >= 0) {
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SHUTDOWN);
		cb_u16(&c, (uint16_t)shutdown);
		run(f, &c);
	}
	/* The platform clock counts from each power-on (vtpm.h: ms since power on). */
	f->plat.now_ms = 0;
	vtpm_power_on(f->t);
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, startup);
	run(f, &c);
}

KTEST(hierarchy, change_auth_and_use_it)
{
	static struct fix f;
	static const uint32_t hs[4] = { TPM_RH_OWNER, TPM_RH_ENDORSEMENT, TPM_RH_PLATFORM,
					TPM_RH_LOCKOUT };

	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(prop(&f, PT_VAR + 0) & 0x7u, 0u);
	for (unsigned int i = 0; i < 4; i++) {
		ASSERT_EQ(change_auth(&f, hs[i], NULL, "n3w"), TPM_RC_SUCCESS);
		/* The old (empty) auth fails; hierarchies other than lockout are not
		 * DA-protected, lockout's failure locks lockoutAuth (tested below). */
		if (hs[i] != TPM_RH_LOCKOUT) {
			EXPECT_EQ(change_auth(&f, hs[i], NULL, "x"), rc_session(TPM_RC_AUTH_FAIL, 1));
		}
		ASSERT_EQ(change_auth(&f, hs[i], "n3w", "second"), TPM_RC_SUCCESS);
		/* With trailing zeros (not significant). */
		{
			struct fauth a = { NULL, "second\0\0", 8, false, NULL, 0 };
			uint8_t p[2] = { 0, 0 };
			uint32_t h = hs[i];

			ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 2),
				  TPM_RC_SUCCESS);
		}
	}
	EXPECT_EQ(prop(&f, PT_VAR + 14), 0u); /* nothing counted */
	/* Sizes: at most 32 octets after trailing zeros; a TPM2B_AUTH above 64 is SIZE too. */
	EXPECT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, "0123456789abcdef0123456789abcdefX"),
		  rc_param(TPM_RC_SIZE, 1));
	{
		uint8_t p[2 + 40] = { 0, 40 };
		uint32_t h = TPM_RH_OWNER;
		struct fauth a = { NULL, NULL, 0, false, NULL, 0 };

		memset(p + 2, 'a', 32);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 42),
			  TPM_RC_SUCCESS);
		a.pw = p + 2;
		a.pw_len = 32;
		p[1] = 65;
		EXPECT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 42),
			  rc_param(TPM_RC_SIZE, 1));
		p[1] = 0;
		EXPECT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 3),
			  TPM_RC_SIZE);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 2),
			  TPM_RC_SUCCESS);
	}
	/* ownerAuthSet etc. follow; NULL has no auth to change. */
	ASSERT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, "o"), TPM_RC_SUCCESS);
	EXPECT_EQ(prop(&f, PT_VAR + 0) & 0x7u, 0x1u);
	EXPECT_EQ(change_auth(&f, TPM_RH_NULL, NULL, "o"), rc_handle(TPM_RC_VALUE, 1));
	/* An HMAC session with the new owner auth authorizes NV_DefineSpace. */
	{
		struct sess s;
		struct fauth a = { &s, "o", 1, true, NULL, 0 };
		struct cb c;
		uint32_t h = TPM_RH_OWNER;

		ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL),
			  TPM_RC_SUCCESS);
		c.n = 0;
		cb_tpm2b(&c, NULL, 0);
		cb_u16(&c, 14);
		cb_u32(&c, IDX);
		cb_u16(&c, TPM_ALG_SHA256);
		cb_u32(&c, TPMA_NV_OWNERWRITE | TPMA_NV_OWNERREAD);
		cb_u16(&c, 0);
		cb_u16(&c, 8);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_NV_DEFINE_SPACE, &h, 1, &a, 1, c.b, c.n),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	EXPECT_EQ(f.malformed, 0);
}

/* HierarchyChangeAuth and Clear change the authorizing hierarchy's authValue: the response
 * HMAC uses the new one (what tpm2-tss checks it with). */
KTEST(hierarchy, response_hmac_uses_new_auth)
{
	static struct fix f;
	struct sess s;
	uint32_t h = TPM_RH_OWNER;
	uint8_t p[8] = { 0, 3, 'a', 'b', 'c' };

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	{
		struct fauth a = { &s, "", 0, true, "abc", 3 };

		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 5),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	{
		struct fauth a = { &s, "abc", 3, true, "", 0 };

		p[1] = 0;
		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 2),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	/* An unchanged auth answers with itself (and the checker does notice a wrong one). */
	{
		struct fauth a = { &s, "", 0, true, NULL, 0 };
		struct fauth wrong = { &s, "", 0, true, "x", 1 };

		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, p, 2),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &wrong, 1, p, 2),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 1);
		f.rsp_hmac_bad = 0;
	}
	ASSERT_EQ(change_auth(&f, TPM_RH_LOCKOUT, NULL, "L"), TPM_RC_SUCCESS);
	{
		struct fauth a = { &s, "L", 1, true, "", 0 };

		h = TPM_RH_LOCKOUT;
		ASSERT_EQ(auth_cmd(&f, TPM_CC_CLEAR, &h, 1, &a, 1, NULL, 0), TPM_RC_SUCCESS);
		EXPECT_EQ(f.rsp_hmac_bad, 0);
	}
	EXPECT_EQ(f.malformed, 0);
}

KTEST(hierarchy, set_primary_policy)
{
	static struct fix f;
	uint8_t p[80];
	uint8_t zero[32] = { 0 };
	uint8_t pol[32];
	uint8_t b[8] = { 0, 0, 0x01, 0x6C, 0, 0, (uint8_t)(TPM_CC_HIERARCHY_CHANGE_AUTH >> 8),
			 (uint8_t)TPM_CC_HIERARCHY_CHANGE_AUTH };
	struct sess s;

	ASSERT_TRUE(fix_open(&f));
	ossl_hash3(1, zero, 32, b, 8, NULL, 0, pol);
	p[0] = 0;
	p[1] = 32;
	memcpy(p + 2, pol, 32);
	p[34] = 0;
	p[35] = (uint8_t)TPM_ALG_SHA1;
	EXPECT_EQ(pwc(&f, TPM_CC_SET_PRIMARY_POLICY, TPM_RH_OWNER, NULL, p, 36),
		  rc_param(TPM_RC_SIZE, 1));
	p[35] = (uint8_t)TPM_ALG_NULL;
	EXPECT_EQ(pwc(&f, TPM_CC_SET_PRIMARY_POLICY, TPM_RH_OWNER, NULL, p, 36),
		  rc_param(TPM_RC_SIZE, 1));
	p[35] = 0x77;
	EXPECT_EQ(pwc(&f, TPM_CC_SET_PRIMARY_POLICY, TPM_RH_OWNER, NULL, p, 36),
		  rc_param(TPM_RC_HASH, 2));
	p[35] = (uint8_t)TPM_ALG_SHA256;
	ASSERT_EQ(pwc(&f, TPM_CC_SET_PRIMARY_POLICY, TPM_RH_OWNER, NULL, p, 36), TPM_RC_SUCCESS);
	/* A policy session that satisfies ownerPolicy changes ownerAuth. */
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), TPM_RC_SUCCESS);
	{
		struct cb c;
		struct fauth a = { &s, NULL, 0, false, NULL, 0 };
		uint32_t h = TPM_RH_OWNER;
		uint8_t q[4] = { 0, 2, 'h', 'i' };

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_COMMAND_CODE);
		cb_u32(&c, s.handle);
		cb_u32(&c, TPM_CC_HIERARCHY_CHANGE_AUTH);
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		ASSERT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, q, 4),
			  TPM_RC_SUCCESS);
		/* Endorsement has no policy: the Empty Buffer matches no session. */
		h = TPM_RH_ENDORSEMENT;
		ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
		EXPECT_EQ(auth_cmd(&f, TPM_CC_HIERARCHY_CHANGE_AUTH, &h, 1, &a, 1, q, 4),
			  rc_session(TPM_RC_POLICY_FAIL, 1));
	}
	EXPECT_EQ(change_auth(&f, TPM_RH_OWNER, "hi", NULL), TPM_RC_SUCCESS);
	/* Removing the policy: NULL with the Empty Buffer. */
	p[1] = 0;
	p[2] = 0;
	p[3] = (uint8_t)TPM_ALG_NULL;
	ASSERT_EQ(pwc(&f, TPM_CC_SET_PRIMARY_POLICY, TPM_RH_OWNER, NULL, p, 4), TPM_RC_SUCCESS);
	EXPECT_EQ(f.t->ps.hier.policy_size[1], 0u);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(hierarchy, hierarchy_control)
{
	static struct fix f;

	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0xFu);
	/* Parameter checks. */
	EXPECT_EQ(hier_control(&f, TPM_RH_PLATFORM, NULL, TPM_RH_NULL, 0),
		  rc_param(TPM_RC_VALUE, 1));
	EXPECT_EQ(hier_control(&f, TPM_RH_PLATFORM, NULL, TPM_RH_OWNER, 2),
		  rc_param(TPM_RC_VALUE, 2));
	/* Only the platform sets; others disable only themselves. */
	EXPECT_EQ(hier_control(&f, TPM_RH_ENDORSEMENT, NULL, TPM_RH_OWNER, 0), TPM_RC_AUTH_TYPE);
	EXPECT_EQ(hier_control(&f, TPM_RH_OWNER, NULL, TPM_RH_OWNER, 1), TPM_RC_AUTH_TYPE);
	EXPECT_EQ(hier_control(&f, TPM_RH_OWNER, NULL, TPM_RH_PLATFORM_NV, 0), TPM_RC_AUTH_TYPE);
	EXPECT_EQ(hier_control(&f, TPM_RH_LOCKOUT, NULL, TPM_RH_OWNER, 0),
		  rc_handle(TPM_RC_VALUE, 1));
	ASSERT_EQ(hier_control(&f, TPM_RH_OWNER, NULL, TPM_RH_OWNER, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0xDu);
	EXPECT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, "x"), rc_handle(TPM_RC_HIERARCHY, 1));
	EXPECT_EQ(hier_control(&f, TPM_RH_OWNER, NULL, TPM_RH_OWNER, 0),
		  rc_handle(TPM_RC_HIERARCHY, 1));
	ASSERT_EQ(hier_control(&f, TPM_RH_PLATFORM, NULL, TPM_RH_OWNER, 1), TPM_RC_SUCCESS);
	ASSERT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, NULL), TPM_RC_SUCCESS);
	/* Endorsement and platform; TPM Resume keeps the enables, Startup(CLEAR) sets them. */
	ASSERT_EQ(hier_control(&f, TPM_RH_ENDORSEMENT, NULL, TPM_RH_ENDORSEMENT, 0),
		  TPM_RC_SUCCESS);
	ASSERT_EQ(hier_control(&f, TPM_RH_PLATFORM, NULL, TPM_RH_PLATFORM_NV, 0), TPM_RC_SUCCESS);
	ASSERT_EQ(hier_control(&f, TPM_RH_PLATFORM, NULL, TPM_RH_PLATFORM, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0x2u);
	EXPECT_EQ(change_auth(&f, TPM_RH_PLATFORM, NULL, "x"), rc_handle(TPM_RC_HIERARCHY, 1));
	power_cycle(&f, TPM_SU_STATE, TPM_SU_STATE);
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0x2u);
	power_cycle(&f, TPM_SU_STATE, TPM_SU_CLEAR);
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0xFu);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(hierarchy, clear_and_clear_control)
{
	static struct fix f;
	uint8_t seeds[4][64];
	uint8_t proofs[4][32];
	struct cb c;
	uint8_t yes = 1;
	uint8_t no = 0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, "own"), TPM_RC_SUCCESS);
	ASSERT_EQ(change_auth(&f, TPM_RH_ENDORSEMENT, NULL, "end"), TPM_RC_SUCCESS);
	ASSERT_EQ(change_auth(&f, TPM_RH_PLATFORM, NULL, "plat"), TPM_RC_SUCCESS);
	ASSERT_EQ(change_auth(&f, TPM_RH_LOCKOUT, NULL, "lock"), TPM_RC_SUCCESS);
	ASSERT_EQ(define_idx(&f, IDX, "i", false, "own"), TPM_RC_SUCCESS);
	{
		struct cb d;

		d.n = 0;
		cb_tpm2b(&d, NULL, 0);
		cb_u16(&d, 14);
		cb_u32(&d, IDX + 1);
		cb_u16(&d, TPM_ALG_SHA256);
		cb_u32(&d, TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_PLATFORMCREATE);
		cb_u16(&d, 0);
		cb_u16(&d, 8);
		ASSERT_EQ(pwc(&f, TPM_CC_NV_DEFINE_SPACE, TPM_RH_PLATFORM, "plat", d.b, d.n),
			  TPM_RC_SUCCESS);
	}
	power_cycle(&f, TPM_SU_CLEAR, TPM_SU_CLEAR);
	ASSERT_EQ(hier_control(&f, TPM_RH_ENDORSEMENT, "end", TPM_RH_ENDORSEMENT, 0),
		  TPM_RC_SUCCESS);
	memcpy(seeds, f.t->ps.seeds, sizeof(seeds));
	memcpy(proofs, f.t->ps.proofs, sizeof(proofs));
	/* disableClear: lockout sets it, only the platform clears it. */
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR_CONTROL, TPM_RH_LOCKOUT, "lock", "\x02", 1),
		  rc_param(TPM_RC_VALUE, 1));
	ASSERT_EQ(pwc(&f, TPM_CC_CLEAR_CONTROL, TPM_RH_LOCKOUT, "lock", &yes, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(prop(&f, PT_VAR + 0) & TPMA_PERMANENT_DISABLE_CLEAR,
		  TPMA_PERMANENT_DISABLE_CLEAR);
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_LOCKOUT, "lock", NULL, 0), TPM_RC_DISABLED);
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_PLATFORM, "plat", NULL, 0), TPM_RC_DISABLED);
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR_CONTROL, TPM_RH_LOCKOUT, "lock", &no, 1), TPM_RC_AUTH_FAIL);
	ASSERT_EQ(pwc(&f, TPM_CC_CLEAR_CONTROL, TPM_RH_PLATFORM, "plat", &no, 1), TPM_RC_SUCCESS);
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_OWNER, "own", NULL, 0), rc_handle(TPM_RC_VALUE, 1));
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_LOCKOUT, "lock", "x", 1), TPM_RC_SIZE);
	EXPECT_EQ(memcmp(f.t->ps.seeds, seeds, sizeof(seeds)), 0);
	f.plat.now_ms = 5000;
	ASSERT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_LOCKOUT, "lock", NULL, 0), TPM_RC_SUCCESS);
	/* Owner seed and owner/endorsement proofs new; platform and endorsement seeds kept. */
	EXPECT_TRUE(memcmp(f.t->ps.seeds[1], seeds[1], 64) != 0);
	EXPECT_MEMEQ(f.t->ps.seeds[0], seeds[0], 64);
	EXPECT_MEMEQ(f.t->ps.seeds[2], seeds[2], 64);
	EXPECT_TRUE(memcmp(f.t->ps.proofs[1], proofs[1], 32) != 0);
	EXPECT_TRUE(memcmp(f.t->ps.proofs[2], proofs[2], 32) != 0);
	EXPECT_MEMEQ(f.t->ps.proofs[0], proofs[0], 32);
	/* Auths: owner, endorsement, lockout empty; platform kept; eh enabled again. */
	EXPECT_EQ(prop(&f, PT_VAR + 0) & 0x107u, 0u);
	EXPECT_EQ(prop(&f, PT_VAR + 1) & 0xFu, 0xFu);
	EXPECT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(change_auth(&f, TPM_RH_LOCKOUT, NULL, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(change_auth(&f, TPM_RH_PLATFORM, "plat", "plat"), TPM_RC_SUCCESS);
	/* Owner index gone, platform index kept. */
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_NV_READ_PUBLIC);
	cb_u32(&c, IDX);
	EXPECT_EQ(run(&f, &c), rc_handle(TPM_RC_HANDLE, 1));
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_NV_READ_PUBLIC);
	cb_u32(&c, IDX + 1);
	EXPECT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	/* Clock, resetCount, restartCount from zero. */
	f.plat.now_ms = 5300;
	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_READ_CLOCK);
	ASSERT_EQ(run(&f, &c), TPM_RC_SUCCESS);
	EXPECT_EQ(get32(f.rsp + 18), 0u);
	EXPECT_EQ(get32(f.rsp + 22), 300u);
	EXPECT_EQ(get32(f.rsp + 26), 0u);
	EXPECT_EQ(get32(f.rsp + 30), 0u);
	/* Platform may Clear too. */
	ASSERT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_PLATFORM, "plat", NULL, 0), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(hierarchy, change_pps_and_eps)
{
	static struct fix f;
	uint8_t seeds[4][64];

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(change_auth(&f, TPM_RH_ENDORSEMENT, NULL, "e"), TPM_RC_SUCCESS);
	ASSERT_EQ(change_auth(&f, TPM_RH_PLATFORM, NULL, "p"), TPM_RC_SUCCESS);
	memcpy(seeds, f.t->ps.seeds, sizeof(seeds));
	EXPECT_EQ(pwc(&f, TPM_CC_CHANGE_EPS, TPM_RH_OWNER, NULL, NULL, 0),
		  rc_handle(TPM_RC_VALUE, 1));
	ASSERT_EQ(pwc(&f, TPM_CC_CHANGE_PPS, TPM_RH_PLATFORM, "p", NULL, 0), TPM_RC_SUCCESS);
	EXPECT_TRUE(memcmp(f.t->ps.seeds[0], seeds[0], 64) != 0);
	EXPECT_MEMEQ(f.t->ps.seeds[2], seeds[2], 64);
	ASSERT_EQ(pwc(&f, TPM_CC_CHANGE_EPS, TPM_RH_PLATFORM, "p", NULL, 0), TPM_RC_SUCCESS);
	EXPECT_TRUE(memcmp(f.t->ps.seeds[2], seeds[2], 64) != 0);
	EXPECT_MEMEQ(f.t->ps.seeds[1], seeds[1], 64);
	/* ChangeEPS empties endorsementAuth; the platform auth stays. */
	EXPECT_EQ(change_auth(&f, TPM_RH_ENDORSEMENT, NULL, NULL), TPM_RC_SUCCESS);
	EXPECT_EQ(change_auth(&f, TPM_RH_PLATFORM, "p", NULL), TPM_RC_SUCCESS);
}

KTEST(da, counting_lockout_and_self_healing)
{
	static struct fix f;
	uint8_t p[12];

	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(prop(&f, PT_VAR + 15), 32u);
	EXPECT_EQ(prop(&f, PT_VAR + 16), 7200u);
	EXPECT_EQ(prop(&f, PT_VAR + 17), 86400u);
	/* maxTries 3, recoveryTime 10 s, lockoutRecovery 60 s. */
	memset(p, 0, sizeof(p));
	p[3] = 3;
	p[7] = 10;
	p[11] = 60;
	ASSERT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_PARAMETERS, TPM_RH_LOCKOUT, NULL, p, 12),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_PARAMETERS, TPM_RH_LOCKOUT, NULL, p, 11),
		  rc_param(TPM_RC_INSUFFICIENT, 3));
	EXPECT_EQ(prop(&f, PT_VAR + 15), 3u);
	EXPECT_EQ(prop(&f, PT_VAR + 16), 10u);
	EXPECT_EQ(prop(&f, PT_VAR + 17), 60u);
	ASSERT_EQ(define_idx(&f, IDX, "good", false, NULL), TPM_RC_SUCCESS);
	ASSERT_EQ(define_idx(&f, IDX + 1, "good", true, NULL), TPM_RC_SUCCESS);
	/* NO_DA failures are not counted. */
	for (unsigned int i = 0; i < 5; i++) {
		EXPECT_EQ(idx_write(&f, IDX + 1, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
	}
	EXPECT_EQ(prop(&f, PT_VAR + 14), 0u);
	for (unsigned int i = 0; i < 3; i++) {
		EXPECT_EQ(idx_write(&f, IDX, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
		EXPECT_EQ(prop(&f, PT_VAR + 14), i + 1);
	}
	/* Lockout: even the right password is not tried; NO_DA and hierarchies still work. */
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_LOCKOUT);
	EXPECT_EQ(idx_write(&f, IDX, "bad"), TPM_RC_LOCKOUT);
	EXPECT_EQ(prop(&f, PT_VAR + 14), 3u);
	EXPECT_EQ(prop(&f, PT_VAR + 0) & TPMA_PERMANENT_IN_LOCKOUT, TPMA_PERMANENT_IN_LOCKOUT);
	EXPECT_EQ(idx_write(&f, IDX + 1, "good"), TPM_RC_SUCCESS);
	EXPECT_EQ(change_auth(&f, TPM_RH_OWNER, NULL, NULL), TPM_RC_SUCCESS);
	/* Self-healing: one failure forgotten per 10 s of Clock. */
	f.plat.now_ms += 9999;
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_LOCKOUT);
	f.plat.now_ms += 1;
	EXPECT_EQ(prop(&f, PT_VAR + 14), 2u);
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_SUCCESS);
	f.plat.now_ms += 25000;
	EXPECT_EQ(prop(&f, PT_VAR + 14), 0u);
	/* Power cycles keep the count (it is persistent). */
	EXPECT_EQ(idx_write(&f, IDX, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
	power_cycle(&f, TPM_SU_CLEAR, TPM_SU_CLEAR);
	EXPECT_EQ(prop(&f, PT_VAR + 14), 1u);
	/* DictionaryAttackLockReset. */
	EXPECT_EQ(idx_write(&f, IDX, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(idx_write(&f, IDX, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_LOCKOUT);
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, NULL, "x", 1),
		  TPM_RC_SIZE);
	ASSERT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, NULL, NULL, 0),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(prop(&f, PT_VAR + 14), 0u);
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_SUCCESS);
	/* An HMAC session with a wrong authValue counts too. */
	{
		struct sess s;
		struct fauth a = { &s, "bad", 3, true, NULL, 0 };
		uint32_t h[2] = { IDX, IDX };
		uint8_t q[5] = { 0, 1, 1, 0, 0 };

		ASSERT_EQ(start_session(&f, &s, SE_HMAC, TPM_ALG_SHA256, TPM_RH_NULL),
			  TPM_RC_SUCCESS);
		EXPECT_EQ(auth_cmd(&f, TPM_CC_NV_WRITE, h, 2, &a, 1, q, 5),
			  rc_session(TPM_RC_AUTH_FAIL, 1));
		EXPECT_EQ(prop(&f, PT_VAR + 14), 1u);
	}
	/* recoveryTime 0: DA protection off, nothing counted, nothing locked. */
	memset(p, 0, sizeof(p));
	p[3] = 1;
	ASSERT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_PARAMETERS, TPM_RH_LOCKOUT, NULL, p, 12),
		  TPM_RC_SUCCESS);
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_EQ(idx_write(&f, IDX, "bad"), rc_session(TPM_RC_AUTH_FAIL, 1));
	}
	EXPECT_EQ(idx_write(&f, IDX, "good"), TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(da, lockout_auth_recovery)
{
	static struct fix f;
	uint8_t p[12] = { 0, 0, 0, 5, 0, 0, 0, 10, 0, 0, 0, 60 };

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(change_auth(&f, TPM_RH_LOCKOUT, NULL, "L"), TPM_RC_SUCCESS);
	ASSERT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_PARAMETERS, TPM_RH_LOCKOUT, "L", p, 12),
		  TPM_RC_SUCCESS);
	/* One wrong lockoutAuth locks lockoutAuth for lockoutRecovery (60 s). */
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "x", NULL, 0),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_LOCKOUT);
	EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_LOCKOUT, "L", NULL, 0), TPM_RC_LOCKOUT);
	EXPECT_EQ(prop(&f, PT_VAR + 14), 0u); /* not a failedTries matter */
	/* The platform can still Clear, and power cycles do not end it early. */
	power_cycle(&f, TPM_SU_CLEAR, TPM_SU_CLEAR);
	f.plat.now_ms += 59999;
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_LOCKOUT);
	f.plat.now_ms += 1;
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_SUCCESS);
	/* lockoutRecovery 0: locked until the next TPM Reset (not a Restart). */
	p[11] = 0;
	ASSERT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_PARAMETERS, TPM_RH_LOCKOUT, "L", p, 12),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "y", NULL, 0),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	f.plat.now_ms += 10000000;
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_LOCKOUT);
	power_cycle(&f, TPM_SU_STATE, TPM_SU_CLEAR);
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_LOCKOUT);
	power_cycle(&f, TPM_SU_CLEAR, TPM_SU_CLEAR);
	EXPECT_EQ(pwc(&f, TPM_CC_DICTIONARY_ATTACK_LOCK_RESET, TPM_RH_LOCKOUT, "L", NULL, 0),
		  TPM_RC_SUCCESS);
	EXPECT_EQ(f.malformed, 0);
}

/* Mutated hierarchy/DA commands: never malformed, and the platform auth (never the target
 * of a valid seed command) survives. */
KTEST(hierarchy, malformed_input_storm)
{
	static struct fix f;
	static struct cb base[5];
	static struct cb m;
	static const uint32_t ccs[5] = { TPM_CC_HIERARCHY_CHANGE_AUTH, TPM_CC_HIERARCHY_CONTROL,
					 TPM_CC_SET_PRIMARY_POLICY, TPM_CC_CLEAR_CONTROL,
					 TPM_CC_DICTIONARY_ATTACK_PARAMETERS };
	uint32_t seed = 777;
	unsigned long ok = 0;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(change_auth(&f, TPM_RH_PLATFORM, NULL, "platform-secret"), TPM_RC_SUCCESS);
	for (unsigned int k = 0; k < 5; k++) {
		struct cb *c = &base[k];

		cb_start(c, TPM_ST_SESSIONS, ccs[k]);
		cb_u32(c, k == 1 ? TPM_RH_OWNER : k == 4 || k == 3 ? TPM_RH_LOCKOUT : TPM_RH_OWNER);
		cb_u32(c, 9);
		cb_u32(c, TPM_RS_PW);
		cb_u16(c, 0);
		cb_u8(c, 1);
		cb_u16(c, 0);
		if (k == 0) {
			cb_tpm2b(c, "abc", 3);
		} else if (k == 1) {
			cb_u32(c, TPM_RH_ENDORSEMENT);
			cb_u8(c, 1);
		} else if (k == 2) {
			cb_u16(c, 0);
			cb_u16(c, TPM_ALG_NULL);
		} else if (k == 3) {
			cb_u8(c, 1);
		} else {
			cb_u32(c, 100);
			cb_u32(c, 100);
			cb_u32(c, 100);
		}
		cb_end(c);
	}
	for (unsigned int round = 0; round < 40000; round++) {
		unsigned int flips;

		m = base[round % 5];
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (seed >> 16) % 3;
		for (unsigned int k = 0; k < flips; k++) {
			seed = seed * 1103515245u + 12345u;
			m.b[10 + (seed >> 8) % (m.n - 10)] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		if (run_raw(&f, m.b, m.n) == TPM_RC_SUCCESS) {
			ok++;
		}
		/* Owner auth may have been changed by a mutated ChangeAuth: restore with the
		 * platform (Clear resets it). */
		if (round % 500 == 499) {
			uint8_t no = 0;

			pwc(&f, TPM_CC_CLEAR_CONTROL, TPM_RH_PLATFORM, "platform-secret", &no, 1);
			hier_control(&f, TPM_RH_PLATFORM, "platform-secret", TPM_RH_OWNER, 1);
			hier_control(&f, TPM_RH_PLATFORM, "platform-secret", TPM_RH_ENDORSEMENT, 1);
			EXPECT_EQ(pwc(&f, TPM_CC_CLEAR, TPM_RH_PLATFORM, "platform-secret", NULL, 0),
				  TPM_RC_SUCCESS);
		}
	}
	ktest_print("  hierarchy storm: 40000 cases, %lu accepted, %d malformed\n", ok,
		    f.malformed);
	EXPECT_EQ(f.malformed, 0);
	EXPECT_EQ(change_auth(&f, TPM_RH_PLATFORM, "platform-secret", NULL), TPM_RC_SUCCESS);
}
