/*
 * Host tests of the policy commands of vtpm/cmd_policy2.c and the deferred checks of
 * engine.c's check_policy, built into build/host/vtpm_tests (suite "policy").
 *
 * OpenSSL is the oracle: every policy digest is recomputed here from the TPM 2.0 Part 3 §23
 * formulas (trial and real sessions must agree), including the TCG EK credential profile's
 * PolicyA (PolicySecret(TPM_RH_ENDORSEMENT)). Real policy sessions then satisfy a sealed
 * object's authPolicy (Unseal) and are refused when the condition fails, with the exact
 * response codes; a storm of malformed bodies ends with a state check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ktest/ktest.h"
#include "tests/vtpm/object_fixture.h"
#include "tests/vtpm/vtpm_fixture.h"
#include "vtpm/commands.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#define B256 1u /* bank index of SHA-256 in the fixture tables */

static const uint8_t ek_policy_a[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* d = H(d || cc || data). */
static void upd(unsigned int bank, uint8_t *d, uint32_t cc, const void *data, size_t len)
{
	uint8_t b[4] = { (uint8_t)(cc >> 24), (uint8_t)(cc >> 16), (uint8_t)(cc >> 8), (uint8_t)cc };

	ossl_hash3(bank, d, bank_sizes[bank], b, 4, data, len, d);
}

/* PolicyUpdate: d = H(H(d || cc || name) || ref). */
static void upd2(unsigned int bank, uint8_t *d, uint32_t cc, const void *name, size_t nl,
		 const void *ref, size_t rl)
{
	upd(bank, d, cc, name, nl);
	ossl_hash3(bank, d, bank_sizes[bank], ref, rl, NULL, 0, d);
}

static bool get_digest(struct fix *f, uint32_t h, uint8_t *out, unsigned int ds)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_GET_DIGEST);
	cb_u32(&c, h);
	if (run(f, &c) != TPM_RC_SUCCESS || get16(f->rsp + 10) != ds) {
		return false;
	}
	memcpy(out, f->rsp + 12, ds);
	return true;
}

/* A policy command with handle h and raw parameter bytes p[n] (no sessions). */
static uint32_t pol(struct fix *f, uint32_t cc, uint32_t h, const void *p, size_t n)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, cc);
	cb_u32(&c, h);
	cb_bytes(&c, p, n);
	return run(f, &c);
}

static uint32_t pol_tpm2b(struct fix *f, uint32_t cc, uint32_t h, const void *d, uint16_t n)
{
	uint8_t b[80];

	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	memcpy(b + 2, d, n);
	return pol(f, cc, h, b, 2u + n);
}

/* PolicySecret(auth, s) with a password (empty unless pw); nonce from s when use_nonce. */
static uint32_t pol_secret(struct fix *f, uint32_t auth, struct sess *s, bool use_nonce,
			   const void *cp, uint16_t cpl, const void *ref, uint16_t rl,
			   uint32_t expiration, const char *pw)
{
	struct cb p;
	struct fauth a = { NULL, pw, pw != NULL ? strlen(pw) : 0, false, NULL, 0 };
	uint32_t handles[2] = { auth, s->handle };

	p.n = 0;
	cb_tpm2b(&p, s->nonce_tpm, use_nonce ? (uint16_t)bank_sizes[s->bank] : 0);
	cb_tpm2b(&p, cp, cpl);
	cb_tpm2b(&p, ref, rl);
	cb_u32(&p, expiration);
	return auth_cmd(f, TPM_CC_POLICY_SECRET, handles, 2, &a, 1, p.b, p.n);
}

/* Unseal of h (Name name[nl]) authorized by policy session s. */
static uint32_t unseal_pol(struct fix *f, uint32_t h, const uint8_t *name, size_t nl,
			   struct sess *s)
{
	struct fauth a = { s, NULL, 0, false, NULL, 0 };
	uint8_t names[1][70];
	size_t lens[1] = { nl };

	memcpy(names[0], name, nl);
	return auth_cmd_names(f, TPM_CC_UNSEAL, &h, 1, &a, 1, NULL, 0, names, lens);
}

/* The object: an SRK and a sealed "policy secret" with authPolicy policy (SHA-256),
 * loaded; its handle and Name. */
struct sealed {
	struct created srk;
	struct created obj;
	uint32_t h;
	uint8_t name[34];
};

static bool seal_with(struct fix *f, struct sealed *o, const uint8_t *policy)
{
	struct tmpl t;
	uint8_t d[32];

	if (o->srk.handle == 0 && make_srk(f, &o->srk) != TPM_RC_SUCCESS) {
		return false;
	}
	seal_tmpl(&t, A_FIXED_TPM | A_FIXED_PARENT | A_NO_DA, policy, 32);
	if (ob_create(f, o->srk.handle, &t, NULL, 0, "policy secret", 13, &o->obj) !=
		    TPM_RC_SUCCESS ||
	    ob_load(f, o->srk.handle, &o->obj, &o->h) != TPM_RC_SUCCESS) {
		return false;
	}
	ossl_hash3(B256, o->obj.pub, o->obj.pub_len, NULL, 0, NULL, 0, d);
	o->name[0] = 0x00;
	o->name[1] = 0x0B;
	memcpy(o->name + 2, d, 32);
	return true;
}

static bool unsealed_ok(struct fix *f)
{
	return get16(f->rsp + 14) == 13 && memcmp(f->rsp + 16, "policy secret", 13) == 0;
}

KTEST(policy, secret_ek_policy_a_and_trial_digests)
{
	static struct fix f;
	struct sess s;
	uint8_t want[64] = { 0 };
	uint8_t got[64];
	uint8_t b[80];
	uint8_t name[4] = { 0x40, 0x00, 0x00, 0x0B };

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(start_session(&f, &s, SE_TRIAL, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	/* The TCG EK PolicyA: PolicySecret(TPM_RH_ENDORSEMENT) from the Zero Digest. */
	ASSERT_EQ(pol_secret(&f, TPM_RH_ENDORSEMENT, &s, false, NULL, 0, NULL, 0, 0, ""), 0u);
	/* timeout: empty; policyTicket: TPM_ST_AUTH_SECRET, TPM_RH_NULL, empty. */
	EXPECT_EQ(get32(f.rsp + 10), 10u);
	EXPECT_EQ(get16(f.rsp + 14), 0u);
	EXPECT_EQ(get16(f.rsp + 16), TPM_ST_AUTH_SECRET);
	EXPECT_EQ(get32(f.rsp + 18), TPM_RH_NULL);
	EXPECT_EQ(get16(f.rsp + 22), 0u);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, ek_policy_a, 32);
	upd2(B256, want, TPM_CC_POLICY_SECRET, name, 4, NULL, 0);
	EXPECT_MEMEQ(want, ek_policy_a, 32);
	/* With a policyRef. */
	ASSERT_EQ(pol_secret(&f, TPM_RH_ENDORSEMENT, &s, false, NULL, 0, "ref", 3, 0, ""), 0u);
	upd2(B256, want, TPM_CC_POLICY_SECRET, name, 4, "ref", 3);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	/* PolicyOR of two digests (a trial session takes any list). */
	{
		uint8_t other[32];
		struct cb p;

		memset(other, 0x5a, 32);
		p.n = 0;
		cb_u32(&p, 2);
		cb_tpm2b(&p, ek_policy_a, 32);
		cb_tpm2b(&p, other, 32);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, p.b, p.n), 0u);
		memset(want, 0, 32);
		{
			uint8_t cat[64];
			uint8_t z[32] = { 0 };
			uint8_t cc[4] = { 0, 0, 0x01, 0x71 };

			memcpy(cat, ek_policy_a, 32);
			memcpy(cat + 32, other, 32);
			ossl_hash3(B256, z, 32, cc, 4, cat, 64, want);
		}
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	/* PolicyLocality, PolicyNvWritten, PolicyCpHash (then NameHash is TPM_RC_CPHASH). */
	b[0] = 0x03;
	ASSERT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), 0u);
	upd(B256, want, TPM_CC_POLICY_LOCALITY, b, 1);
	b[0] = 1;
	ASSERT_EQ(pol(&f, TPM_CC_POLICY_NV_WRITTEN, s.handle, b, 1), 0u);
	upd(B256, want, TPM_CC_POLICY_NV_WRITTEN, b, 1);
	memset(b, 0x11, 32);
	ASSERT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_CPHASH, s.handle, b, 32), 0u);
	upd(B256, want, TPM_CC_POLICY_CPHASH, b, 32);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	EXPECT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_NAME_HASH, s.handle, b, 32), TPM_RC_CPHASH);
	b[0] = 0x22;
	EXPECT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_CPHASH, s.handle, b, 32), TPM_RC_CPHASH);
	EXPECT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_CPHASH, s.handle, b, 20), rc_param(TPM_RC_SIZE, 1));
	/* PolicyNameHash after a restart. */
	ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
	memset(want, 0, 32);
	ASSERT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_NAME_HASH, s.handle, b, 32), 0u);
	upd(B256, want, TPM_CC_POLICY_NAME_HASH, b, 32);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	/* PolicyAuthorize in a trial session: Zero Digest, then PolicyUpdate(keySign, ref). */
	{
		struct cb p;
		uint8_t key[34] = { 0x00, 0x0B };

		memset(key + 2, 0x33, 32);
		p.n = 0;
		cb_tpm2b(&p, want, 32);
		cb_tpm2b(&p, "r", 1);
		cb_tpm2b(&p, key, 34);
		cb_u16(&p, 0x8022);
		cb_u32(&p, TPM_RH_NULL);
		cb_u16(&p, 0);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_AUTHORIZE, s.handle, p.b, p.n), 0u);
		memset(want, 0, 32);
		upd2(B256, want, TPM_CC_POLICY_AUTHORIZE, key, 34, "r", 1);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	/* PolicyDuplicationSelect(includeObject YES) after a restart: H(0 || CC || objectName ||
	 * newParentName || 01); then a cpHash is TPM_RC_CPHASH (the session holds a nameHash)
	 * and a second select likewise. */
	{
		struct cb p;
		uint8_t on[34] = { 0x00, 0x0B }, pn[34] = { 0x00, 0x0B };
		uint8_t cat[69];

		memset(on + 2, 0x44, 32);
		memset(pn + 2, 0x55, 32);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
		p.n = 0;
		cb_tpm2b(&p, on, 34);
		cb_tpm2b(&p, pn, 34);
		cb_u8(&p, 1);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_DUPLICATION_SELECT, s.handle, p.b, p.n), 0u);
		memset(want, 0, 32);
		memcpy(cat, on, 34);
		memcpy(cat + 34, pn, 34);
		cat[68] = 1;
		upd(B256, want, TPM_CC_POLICY_DUPLICATION_SELECT, cat, 69);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_DUPLICATION_SELECT, s.handle, p.b, p.n),
			  TPM_RC_CPHASH);
		p.b[p.n - 1] = 2;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_DUPLICATION_SELECT, s.handle, p.b, p.n),
			  rc_param(TPM_RC_VALUE, 3));
		/* includeObject NO after a restart leaves objectName out of the digest. */
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
		p.b[p.n - 1] = 0;
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_DUPLICATION_SELECT, s.handle, p.b, p.n), 0u);
		memset(want, 0, 32);
		cat[68] = 0;
		upd(B256, want, TPM_CC_POLICY_DUPLICATION_SELECT, cat + 34, 35);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	/* SHA-1 session: PolicySecret(OWNER). */
	{
		struct sess s1;
		uint8_t w1[20] = { 0 };
		uint8_t owner[4] = { 0x40, 0, 0, 1 };

		ASSERT_EQ(start_session(&f, &s1, SE_TRIAL, TPM_ALG_SHA1, TPM_RH_NULL), 0u);
		ASSERT_EQ(pol_secret(&f, TPM_RH_OWNER, &s1, false, NULL, 0, NULL, 0, 0, ""), 0u);
		upd2(s1.bank, w1, TPM_CC_POLICY_SECRET, owner, 4, NULL, 0);
		ASSERT_TRUE(get_digest(&f, s1.handle, got, 20));
		EXPECT_MEMEQ(got, w1, 20);
		EXPECT_EQ(ob_flush(&f, s1.handle), 0u);
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
}

KTEST(policy, secret_or_locality_cphash_unseal)
{
	static struct fix f;
	static struct sealed o;
	struct sess s;
	uint8_t want[32] = { 0 };
	uint8_t owner[4] = { 0x40, 0, 0, 1 };
	uint8_t b[80];

	ASSERT_TRUE(fix_open(&f));
	memset(&o, 0, sizeof(o));
	/* authPolicy = PolicySecret(TPM_RH_OWNER). */
	upd2(B256, want, TPM_CC_POLICY_SECRET, owner, 4, NULL, 0);
	ASSERT_TRUE(seal_with(&f, &o, want));
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	/* Refusals that change nothing: wrong nonce, expiration without nonce, a non-zero
	 * expiration, a cpHashA of the wrong size, a wrong owner password. */
	s.nonce_tpm[0] ^= 1;
	EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, NULL, 0, NULL, 0, 0, ""),
		  rc_param(TPM_RC_NONCE, 1));
	s.nonce_tpm[0] ^= 1;
	EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, false, NULL, 0, NULL, 0, 10, ""),
		  rc_param(TPM_RC_EXPIRED, 1));
	EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, NULL, 0, NULL, 0, 10, ""),
		  rc_param(TPM_RC_VALUE, 4));
	EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, b, 20, NULL, 0, 0, ""),
		  rc_param(TPM_RC_SIZE, 2));
	EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, NULL, 0, NULL, 0, 0, "wrong"),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	/* Not satisfied yet: TPM_RC_POLICY_FAIL + session 1. */
	EXPECT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));
	/* Satisfied: unseals; the session is reset for its next use. */
	ASSERT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, NULL, 0, NULL, 0, 0, ""), 0u);
	ASSERT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), 0u);
	EXPECT_TRUE(unsealed_ok(&f));
	EXPECT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));

	/* PolicySecret with cpHashA: the command must then be exactly that Unseal. */
	{
		uint8_t cp[32];
		uint8_t cc[4] = { 0, 0, 0x01, 0x5E };

		ossl_hash3(B256, cc, 4, o.name, 34, NULL, 0, cp);
		ASSERT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, cp, 32, NULL, 0, 0, ""), 0u);
		ASSERT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), 0u);
		cp[0] ^= 1;
		ASSERT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, cp, 32, NULL, 0, 0, ""), 0u);
		EXPECT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));
		/* A second, different cpHashA: TPM_RC_CPHASH. */
		cp[0] ^= 1;
		EXPECT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, cp, 32, NULL, 0, 0, ""),
			  TPM_RC_CPHASH);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
	}

	/* PolicyOR: branch A = PolicySecret(owner) (= want), branch B = PolicyLocality(2). */
	{
		static struct sealed o2;
		uint8_t branch_b[32] = { 0 };
		uint8_t or_d[32] = { 0 };
		struct cb p;

		b[0] = 0x04;
		upd(B256, branch_b, TPM_CC_POLICY_LOCALITY, b, 1);
		p.n = 0;
		cb_u32(&p, 2);
		cb_tpm2b(&p, want, 32);
		cb_tpm2b(&p, branch_b, 32);
		{
			uint8_t cat[64];
			uint8_t cc[4] = { 0, 0, 0x01, 0x71 };

			memcpy(cat, want, 32);
			memcpy(cat + 32, branch_b, 32);
			ossl_hash3(B256, or_d, 32, cc, 4, cat, 64, or_d);
		}
		o2.srk = o.srk;
		ASSERT_TRUE(seal_with(&f, &o2, or_d));
		/* Current digest (zero) not in the list: TPM_RC_VALUE + P1. */
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, p.b, p.n), rc_param(TPM_RC_VALUE, 1));
		/* Branch A. */
		ASSERT_EQ(pol_secret(&f, TPM_RH_OWNER, &s, true, NULL, 0, NULL, 0, 0, ""), 0u);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, p.b, p.n), 0u);
		ASSERT_EQ(unseal_pol(&f, o2.h, o2.name, 34, &s), 0u);
		EXPECT_TRUE(unsealed_ok(&f));
		/* Branch B: locality 2 only; from locality 0 TPM_RC_LOCALITY, from 2 it works. */
		b[0] = 0x04;
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), 0u);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, p.b, p.n), 0u);
		EXPECT_EQ(unseal_pol(&f, o2.h, o2.name, 34, &s), TPM_RC_LOCALITY);
		f.locality = 2;
		EXPECT_EQ(unseal_pol(&f, o2.h, o2.name, 34, &s), 0u);
		f.locality = 0;
		/* Bad lists: one entry, nine entries, an oversized digest. */
		b[0] = 0;
		b[1] = 0;
		b[2] = 0;
		b[3] = 1;
		b[4] = 0;
		b[5] = 0;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, b, 6), rc_param(TPM_RC_SIZE, 1));
		b[3] = 9;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, b, 6), rc_param(TPM_RC_SIZE, 1));
		b[3] = 2;
		b[4] = 0;
		b[5] = 65;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_OR, s.handle, b, 6), rc_param(TPM_RC_SIZE, 1));
		ASSERT_EQ(ob_flush(&f, o2.h), 0u);
	}
	/* PolicyLocality narrowing: {1,2} then {2} fine, then {1}: TPM_RC_RANGE; 0: RANGE. */
	b[0] = 0x06;
	EXPECT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), 0u);
	b[0] = 0x04;
	EXPECT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), 0u);
	b[0] = 0x02;
	EXPECT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), rc_param(TPM_RC_RANGE, 1));
	b[0] = 0x00;
	EXPECT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, b, 1), rc_param(TPM_RC_RANGE, 1));
	ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);

	/* PolicyCpHash / PolicyNameHash as the whole policy of an object. */
	{
		static struct sealed o3, o4;
		uint8_t cp[32], nh[32];
		uint8_t pd[32] = { 0 };
		uint8_t cc[4] = { 0, 0, 0x01, 0x5E };

		/* An object's Name exists only after its creation, so its own policy cannot
		 * name it: o3's policy is PolicyNameHash(H(Name of o)) and o4's
		 * PolicyCpHash(cpHash of Unseal(o)); unsealing o3/o4 satisfies the digest but
		 * not the deferred check (the satisfied cpHash case is PolicySecret's cpHashA
		 * above). */
		ossl_hash3(B256, o.name, 34, NULL, 0, NULL, 0, nh);
		upd(B256, pd, TPM_CC_POLICY_NAME_HASH, nh, 32);
		o3.srk = o.srk;
		ASSERT_TRUE(seal_with(&f, &o3, pd));
		ASSERT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_NAME_HASH, s.handle, nh, 32), 0u);
		/* nameHash is of o's Name, the command names o3: TPM_RC_POLICY_FAIL. */
		EXPECT_EQ(unseal_pol(&f, o3.h, o3.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
		/* cpHash of an Unseal of o (not o3) likewise. */
		ossl_hash3(B256, cc, 4, o.name, 34, NULL, 0, cp);
		memset(pd, 0, 32);
		upd(B256, pd, TPM_CC_POLICY_CPHASH, cp, 32);
		o4.srk = o.srk;
		ASSERT_EQ(ob_flush(&f, o3.h), 0u);
		ASSERT_TRUE(seal_with(&f, &o4, pd));
		ASSERT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_CPHASH, s.handle, cp, 32), 0u);
		EXPECT_EQ(unseal_pol(&f, o4.h, o4.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));
		ASSERT_EQ(ob_flush(&f, o4.h), 0u);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
	EXPECT_EQ(f.rsp_hmac_bad, 0);
}

/* NV_DefineSpace(owner) of index with attrs, size, authPolicy policy[32] or none. */
static uint32_t nv_define(struct fix *f, uint32_t index, uint32_t attrs, uint16_t size,
			  const uint8_t *policy)
{
	struct cb p;
	struct fauth a = { NULL, "", 0, false, NULL, 0 };
	uint32_t h = TPM_RH_OWNER;

	p.n = 0;
	cb_tpm2b(&p, NULL, 0);
	cb_u16(&p, (uint16_t)(4 + 2 + 4 + 2 + (policy != NULL ? 32 : 0) + 2));
	cb_u32(&p, index);
	cb_u16(&p, TPM_ALG_SHA256);
	cb_u32(&p, attrs);
	cb_tpm2b(&p, policy, policy != NULL ? 32 : 0);
	cb_u16(&p, size);
	return auth_cmd(f, TPM_CC_NV_DEFINE_SPACE, &h, 1, &a, 1, p.b, p.n);
}

static uint32_t nv_write_owner(struct fix *f, uint32_t index, const void *d, uint16_t n)
{
	struct cb p;
	struct fauth a = { NULL, "", 0, false, NULL, 0 };
	uint32_t h[2] = { TPM_RH_OWNER, index };

	p.n = 0;
	cb_tpm2b(&p, d, n);
	cb_u16(&p, 0);
	return auth_cmd(f, TPM_CC_NV_WRITE, h, 2, &a, 1, p.b, p.n);
}

static uint32_t policy_nv(struct fix *f, uint32_t index, struct sess *s, const void *op_b,
			  uint16_t n, uint16_t offset, uint16_t op)
{
	struct cb p;
	struct fauth a = { NULL, "", 0, false, NULL, 0 };
	uint32_t h[3] = { TPM_RH_OWNER, index, s->handle };
	uint8_t names[3][70];
	size_t lens[3];

	p.n = 0;
	cb_tpm2b(&p, op_b, n);
	cb_u16(&p, offset);
	cb_u16(&p, op);
	for (unsigned int i = 0; i < 3; i++) {
		lens[i] = entity_name(f, h[i], names[i]);
	}
	return auth_cmd_names(f, TPM_CC_POLICY_NV, h, 3, &a, 1, p.b, p.n, names, lens);
}

#define NV_IDX 0x01500020u
#define NV_ATTRS (TPMA_NV_OWNERREAD | TPMA_NV_OWNERWRITE | TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE)

KTEST(policy, nv_and_nv_written)
{
	static struct fix f;
	struct sess s, t;
	uint8_t data[8] = { 0x81, 0, 0, 0, 0, 0, 0, 5 };
	uint8_t want[32] = { 0 };
	uint8_t got[32];
	uint8_t v;

	ASSERT_TRUE(fix_open(&f));
	ASSERT_EQ(nv_define(&f, NV_IDX, NV_ATTRS, 8, NULL), 0u);
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	ASSERT_EQ(start_session(&f, &t, SE_TRIAL, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	/* Not written yet: TPM_RC_NV_UNINITIALIZED (the trial session does not look). */
	v = 0x81;
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 0), TPM_RC_NV_UNINITIALIZED);
	ASSERT_EQ(nv_write_owner(&f, NV_IDX, data, 8), 0u);
	/* Two's complement (errata): 0x81 < 0x82 and 0x81 > 0x80 signed is false. */
	v = 0x82;
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 4 /* SIGNED_LT */), 0u);
	v = 0x80;
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 2 /* SIGNED_GT */), 0u);
	v = 0x01;
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 2 /* SIGNED_GT */), TPM_RC_POLICY);
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 3 /* UNSIGNED_GT */), 0u);
	v = 5;
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 7, 0 /* EQ */), 0u);
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 7, 1 /* NEQ */), TPM_RC_POLICY);
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 7, 0xA /* BITSET */), 0u);
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 6, 0xB /* BITCLEAR */), 0u);
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 9, 0), rc_param(TPM_RC_VALUE, 2));
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, data, 2, 7, 0), rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(policy_nv(&f, NV_IDX, &s, &v, 1, 0, 0xC), rc_param(TPM_RC_VALUE, 3));
	/* The digest, in the trial session (same as the real one after one PolicyNV). */
	{
		uint8_t args[32];
		uint8_t b[4] = { 0, 7, 0, 0 };
		uint8_t name[70];
		size_t nl = entity_name(&f, NV_IDX, name);
		uint8_t cat[102];

		ASSERT_EQ(policy_nv(&f, NV_IDX, &t, &v, 1, 7, 0), 0u);
		ossl_hash3(B256, &v, 1, b, 4, NULL, 0, args);
		memcpy(cat, args, 32);
		memcpy(cat + 32, name, nl);
		upd(B256, want, TPM_CC_POLICY_NV, cat, 32 + nl);
		ASSERT_TRUE(get_digest(&f, t.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	/* PolicyNvWritten(NO) on an index written with policy (POLICYWRITE): the first write
	 * passes, the second (index now written) fails. */
	{
		uint32_t idx2 = 0x01500021u;
		uint8_t pd[32] = { 0 };
		uint8_t no = 0, yes = 1, bad = 2;
		struct fauth a = { &s, NULL, 0, false, NULL, 0 };
		uint32_t h[2] = { idx2, idx2 };
		uint8_t names[2][70];
		size_t lens[2];
		struct cb p;

		upd(B256, pd, TPM_CC_POLICY_NV_WRITTEN, &no, 1);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
		ASSERT_EQ(nv_define(&f, idx2, TPMA_NV_POLICYWRITE | TPMA_NV_OWNERREAD, 4, pd), 0u);
		p.n = 0;
		cb_tpm2b(&p, "abcd", 4);
		cb_u16(&p, 0);
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_NV_WRITTEN, s.handle, &bad, 1),
			  rc_param(TPM_RC_VALUE, 1));
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_NV_WRITTEN, s.handle, &no, 1), 0u);
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_NV_WRITTEN, s.handle, &yes, 1),
			  rc_param(TPM_RC_VALUE, 1));
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, pd, 32);
		lens[0] = lens[1] = entity_name(&f, idx2, names[0]);
		memcpy(names[1], names[0], lens[0]);
		EXPECT_EQ(auth_cmd_names(&f, TPM_CC_NV_WRITE, h, 2, &a, 1, p.b, p.n, names, lens),
			  0u);
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_NV_WRITTEN, s.handle, &no, 1), 0u);
		lens[0] = lens[1] = entity_name(&f, idx2, names[0]);
		memcpy(names[1], names[0], lens[0]);
		EXPECT_EQ(auth_cmd_names(&f, TPM_CC_NV_WRITE, h, 2, &a, 1, p.b, p.n, names, lens),
			  rc_session(TPM_RC_POLICY_FAIL, 1));
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(ob_flush(&f, t.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
	EXPECT_EQ(f.rsp_hmac_bad, 0);
}

/* An ECDSA P-256 signing key under the SRK, loaded: its handle and Name. */
static bool signing_key(struct fix *f, struct sealed *o, uint32_t *h, uint8_t *name)
{
	struct tmpl t;
	struct created k;
	uint8_t d[32];

	ecc_tmpl(&t, A_SIGN | A_USER_WITH_AUTH | A_SDO | A_FIXED_TPM | A_FIXED_PARENT | A_NO_DA,
		 false, TPM_ALG_ECDSA, TPM_ECC_NIST_P256);
	if (ob_create(f, o->srk.handle, &t, NULL, 0, NULL, 0, &k) != TPM_RC_SUCCESS ||
	    ob_load(f, o->srk.handle, &k, h) != TPM_RC_SUCCESS) {
		return false;
	}
	ossl_hash3(B256, k.pub, k.pub_len, NULL, 0, NULL, 0, d);
	name[0] = 0;
	name[1] = 0x0B;
	memcpy(name + 2, d, 32);
	return true;
}

/* Signs dig with key (ECDSA SHA-256); the TPMT_SIGNATURE into sig; its length. */
static size_t sign(struct fix *f, uint32_t key, const uint8_t *dig, uint8_t *sig)
{
	size_t n;

	if (ob_sign(f, key, dig, 32, TPM_ALG_ECDSA, NULL, 0) != TPM_RC_SUCCESS) {
		return 0;
	}
	n = get32(f->rsp + 10);
	memcpy(sig, f->rsp + 14, n);
	return n;
}

KTEST(policy, signed_and_authorize)
{
	static struct fix f;
	static struct sealed o;
	struct sess s;
	uint32_t key;
	uint8_t kname[34];
	uint8_t sig[200];
	size_t sl;
	uint8_t a_hash[32];
	uint8_t exp0[4] = { 0 };
	uint8_t want[32] = { 0 };
	uint8_t got[32];
	struct cb p;

	ASSERT_TRUE(fix_open(&f));
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(make_srk(&f, &o.srk), 0u);
	ASSERT_TRUE(signing_key(&f, &o, &key, kname));
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	/* PolicySigned: aHash = H(nonceTPM || expiration || cpHashA || policyRef). */
	{
		uint8_t buf[32 + 4 + 3];

		memcpy(buf, s.nonce_tpm, 32);
		memcpy(buf + 32, exp0, 4);
		memcpy(buf + 36, "abc", 3);
		ossl_hash3(B256, buf, sizeof(buf), NULL, 0, NULL, 0, a_hash);
	}
	sl = sign(&f, key, a_hash, sig);
	ASSERT_TRUE(sl > 0);
	p.n = 0;
	cb_u32(&p, key);
	cb_u32(&p, s.handle);
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_SIGNED);
		cb_bytes(&c, p.b, p.n);
		cb_tpm2b(&c, s.nonce_tpm, 32);
		cb_tpm2b(&c, NULL, 0);
		cb_tpm2b(&c, "abc", 3);
		cb_u32(&c, 0);
		cb_bytes(&c, sig, sl);
		/* A corrupted signature first: TPM_RC_SIGNATURE + P5, then the real one. */
		c.b[c.n - 1] ^= 1;
		{
			struct cb c2 = c;

			EXPECT_EQ(run(&f, &c2), rc_param(TPM_RC_SIGNATURE, 5));
		}
		c.b[c.n - 1] ^= 1;
		{
			struct cb c2 = c;

			ASSERT_EQ(run(&f, &c2), 0u);
			EXPECT_EQ(get16(f.rsp + 12), TPM_ST_AUTH_SIGNED);
		}
		upd2(B256, want, TPM_CC_POLICY_SIGNED, kname, 34, "abc", 3);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	/* PolicyAuthorize: approve the current digest with the key (VerifySignature ticket). */
	{
		uint8_t approved[32];
		uint8_t ah[32];
		uint8_t tk[64];
		size_t tkl;
		struct cb c;
		uint8_t cat[40];

		memcpy(approved, want, 32);
		memcpy(cat, approved, 32);
		memcpy(cat + 32, "ref", 3);
		ossl_hash3(B256, cat, 35, NULL, 0, NULL, 0, ah);
		sl = sign(&f, key, ah, sig);
		ASSERT_TRUE(sl > 0);
		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_VERIFY_SIGNATURE);
		cb_u32(&c, key);
		cb_tpm2b(&c, ah, 32);
		cb_bytes(&c, sig, sl);
		ASSERT_EQ(run(&f, &c), 0u);
		tkl = f.rsp_len - 10;
		ASSERT_TRUE(tkl == 2 + 4 + 2 + 32);
		memcpy(tk, f.rsp + 10, tkl);
		p.n = 0;
		cb_tpm2b(&p, approved, 32);
		cb_tpm2b(&p, "ref", 3);
		cb_tpm2b(&p, kname, 34);
		cb_bytes(&p, tk, tkl);
		/* A wrong ticket: TPM_RC_POLICY_FAIL + P4; wrong tag: TPM_RC_TAG + P4. */
		p.b[p.n - 1] ^= 1;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_AUTHORIZE, s.handle, p.b, p.n),
			  rc_param(TPM_RC_POLICY_FAIL, 4));
		p.b[p.n - 1] ^= 1;
		p.b[p.n - tkl + 1] ^= 1;
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_AUTHORIZE, s.handle, p.b, p.n),
			  rc_param(TPM_RC_TAG, 4));
		p.b[p.n - tkl + 1] ^= 1;
		/* Good. */
		ASSERT_EQ(pol(&f, TPM_CC_POLICY_AUTHORIZE, s.handle, p.b, p.n), 0u);
		memset(want, 0, 32);
		upd2(B256, want, TPM_CC_POLICY_AUTHORIZE, kname, 34, "ref", 3);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
		/* Now the digest is no longer `approved`: TPM_RC_VALUE + P1. */
		EXPECT_EQ(pol(&f, TPM_CC_POLICY_AUTHORIZE, s.handle, p.b, p.n),
			  rc_param(TPM_RC_VALUE, 1));
		/* An object with this authorized policy unseals. */
		ASSERT_TRUE(seal_with(&f, &o, want));
		ASSERT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), 0u);
		EXPECT_TRUE(unsealed_ok(&f));
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
	EXPECT_EQ(f.rsp_hmac_bad, 0);
}

/* Malformed bodies of every new command, then the session still computes the right
 * digest and nothing leaked. */
KTEST(policy, malformed_storm)
{
	static struct fix f;
	static const uint32_t ccs[] = { TPM_CC_POLICY_OR,	   TPM_CC_POLICY_LOCALITY,
					TPM_CC_POLICY_CPHASH,	   TPM_CC_POLICY_NAME_HASH,
					TPM_CC_POLICY_NV_WRITTEN, TPM_CC_POLICY_AUTHORIZE };
	struct sess s;
	uint8_t want[32] = { 0 };
	uint8_t got[32];
	uint8_t body[300];
	unsigned int seed = 12345;
	unsigned int ok = 0;

	static struct sealed o;
	uint32_t key;
	uint8_t kname[34];

	ASSERT_TRUE(fix_open(&f));
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(make_srk(&f, &o.srk), 0u);
	ASSERT_TRUE(signing_key(&f, &o, &key, kname));
	ASSERT_EQ(nv_define(&f, NV_IDX, NV_ATTRS, 8, NULL), 0u);
	ASSERT_EQ(nv_write_owner(&f, NV_IDX, "12345678", 8), 0u);
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	for (unsigned int i = 0; i < 6000; i++) {
		size_t n;
		uint32_t rc;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 80;
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			body[k] = (uint8_t)(seed >> 16);
			/* Mostly small sizes so the parsers go deep. */
			if ((k % 34) == 0 && (seed & 0x100)) {
				body[k] = 0;
			}
		}
		rc = pol(&f, ccs[i % 6], s.handle, body, n);
		if (rc == 0) {
			ok++;
			ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
		}
		/* PolicySecret and PolicySigned with random bodies. */
		if ((i & 7) == 0) {
			struct cb c;

			cb_start(&c, TPM_ST_SESSIONS, TPM_CC_POLICY_SECRET);
			cb_u32(&c, TPM_RH_OWNER);
			cb_u32(&c, s.handle);
			ob_cb_pw(&c, NULL, 0);
			cb_bytes(&c, body, n);
			if (run(&f, &c) == 0) {
				ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
			}
			cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_POLICY_SIGNED);
			cb_u32(&c, key);
			cb_u32(&c, s.handle);
			cb_bytes(&c, body, n);
			EXPECT_TRUE(run(&f, &c) != 0u);
			cb_start(&c, TPM_ST_SESSIONS, TPM_CC_POLICY_NV);
			cb_u32(&c, TPM_RH_OWNER);
			cb_u32(&c, NV_IDX);
			cb_u32(&c, s.handle);
			ob_cb_pw(&c, NULL, 0);
			cb_bytes(&c, body, n);
			if (run(&f, &c) == 0) {
				ASSERT_EQ(pol(&f, TPM_CC_POLICY_RESTART, s.handle, NULL, 0), 0u);
			}
		}
	}
	ktest_print("policy storm: %u accepted of 6000\n", ok);
	ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
	EXPECT_MEMEQ(got, want, 32);
	{
		uint8_t b = 0x01;

		ASSERT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, &b, 1), 0u);
		upd(B256, want, TPM_CC_POLICY_LOCALITY, &b, 1);
		ASSERT_TRUE(get_digest(&f, s.handle, got, 32));
		EXPECT_MEMEQ(got, want, 32);
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
}

/* The deferred assertions survive ContextSave/ContextLoad (tpm2-tools saves the session
 * between every tool): PolicyLocality and PolicyCpHash still refuse after a reload. */
KTEST(policy, deferred_checks_survive_context_save)
{
	static struct fix f;
	static struct sealed o;
	struct sess s;
	uint8_t pd[32] = { 0 };
	uint8_t ctx[1200];
	size_t n;
	uint8_t loc = 0x04;

	ASSERT_TRUE(fix_open(&f));
	memset(&o, 0, sizeof(o));
	upd(B256, pd, TPM_CC_POLICY_LOCALITY, &loc, 1);
	ASSERT_TRUE(seal_with(&f, &o, pd));
	ASSERT_EQ(start_session(&f, &s, SE_POLICY, TPM_ALG_SHA256, TPM_RH_NULL), 0u);
	ASSERT_EQ(pol(&f, TPM_CC_POLICY_LOCALITY, s.handle, &loc, 1), 0u);
	ASSERT_EQ(ob_ctx_save(&f, s.handle, ctx, &n), 0u);
	ASSERT_EQ(ob_ctx_load(&f, ctx, n), 0u);
	EXPECT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), TPM_RC_LOCALITY);
	f.locality = 2;
	EXPECT_EQ(unseal_pol(&f, o.h, o.name, 34, &s), 0u);
	f.locality = 0;
	/* cpHash: a cpHash of another command, saved and loaded, still refuses. */
	{
		static struct sealed o2;
		uint8_t cp[32];

		memset(cp, 0x77, 32);
		memset(pd, 0, 32);
		upd(B256, pd, TPM_CC_POLICY_CPHASH, cp, 32);
		o2.srk = o.srk;
		ASSERT_TRUE(seal_with(&f, &o2, pd));
		ASSERT_EQ(pol_tpm2b(&f, TPM_CC_POLICY_CPHASH, s.handle, cp, 32), 0u);
		ASSERT_EQ(ob_ctx_save(&f, s.handle, ctx, &n), 0u);
		ASSERT_EQ(ob_ctx_load(&f, ctx, n), 0u);
		EXPECT_EQ(unseal_pol(&f, o2.h, o2.name, 34, &s), rc_session(TPM_RC_POLICY_FAIL, 1));
	}
	EXPECT_EQ(ob_flush(&f, s.handle), 0u);
	EXPECT_EQ(f.malformed, 0);
}

/* PCR_Allocate (Part 3 §22.5): whole banks, pending until the next TPM Reset. */
static uint32_t pcr_allocate(struct fix *f, const char *pw, const uint8_t *sel, size_t n)
{
	struct fauth a = { NULL, pw, strlen(pw), false, NULL, 0 };
	uint32_t h = TPM_RH_PLATFORM;

	return auth_cmd(f, TPM_CC_PCR_ALLOCATE, &h, 1, &a, 1, sel, n);
}

static uint8_t sha1_pcr0_selected(struct fix *f)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_PCR_READ);
	cb_u32(&c, 1);
	cb_u16(&c, TPM_ALG_SHA1);
	cb_u8(&c, 3);
	cb_u8(&c, 1);
	cb_u8(&c, 0);
	cb_u8(&c, 0);
	if (run(f, &c) != TPM_RC_SUCCESS) {
		return 0xEE;
	}
	/* pcrUpdateCounter(4) | count(4) | hash(2) | sizeofSelect(1) | select */
	return f->rsp[10 + 4 + 4 + 2 + 1];
}

static uint32_t startup(struct fix *f, uint16_t su)
{
	struct cb c;

	cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_STARTUP);
	cb_u16(&c, su);
	return run(f, &c);
}

KTEST(policy, pcr_allocate)
{
	static struct fix f;
	uint8_t none_sha1[] = { 0, 0, 0, 1, 0x00, 0x04, 3, 0, 0, 0 };
	uint8_t part_sha1[] = { 0, 0, 0, 1, 0x00, 0x04, 3, 1, 0, 0 };
	uint8_t all_sha1[] = { 0, 0, 0, 1, 0x00, 0x04, 3, 0xff, 0xff, 0xff };
	uint8_t too_many[] = { 0, 0, 0, 5 };

	ASSERT_TRUE(fix_open(&f));
	EXPECT_EQ(pcr_allocate(&f, "", too_many, sizeof(too_many)), rc_param(TPM_RC_SIZE, 1));
	EXPECT_EQ(pcr_allocate(&f, "x", none_sha1, sizeof(none_sha1)),
		  rc_session(TPM_RC_AUTH_FAIL, 1));
	/* Partial bank: allocationSuccess NO. */
	ASSERT_EQ(pcr_allocate(&f, "", part_sha1, sizeof(part_sha1)), 0u);
	EXPECT_EQ(f.rsp[14], 0u);
	/* Drop SHA-1: YES, maxPCR 24, sizeNeeded without SHA-1, sizeAvailable all four. */
	ASSERT_EQ(pcr_allocate(&f, "", none_sha1, sizeof(none_sha1)), 0u);
	EXPECT_EQ(f.rsp[14], 1u);
	EXPECT_EQ(get32(f.rsp + 15), 24u);
	EXPECT_EQ(get32(f.rsp + 19), 24u * (32u + 48u + 64u));
	EXPECT_EQ(get32(f.rsp + 23), 24u * (20u + 32u + 48u + 64u));
	/* Still allocated until the next TPM Reset; a TPM Restart does not apply it. */
	EXPECT_EQ(sha1_pcr0_selected(&f), 1u);
	{
		struct cb c;

		cb_start(&c, TPM_ST_NO_SESSIONS, TPM_CC_SHUTDOWN);
		cb_u16(&c, TPM_SU_STATE);
		ASSERT_EQ(run(&f, &c), 0u);
	}
	vtpm_power_on(f.t);
	ASSERT_EQ(startup(&f, TPM_SU_CLEAR), 0u);
	EXPECT_EQ(sha1_pcr0_selected(&f), 1u);
	/* TPM Reset: SHA-1 is gone. */
	vtpm_power_on(f.t);
	ASSERT_EQ(startup(&f, TPM_SU_CLEAR), 0u);
	EXPECT_EQ(sha1_pcr0_selected(&f), 0u);
	/* And back. */
	ASSERT_EQ(pcr_allocate(&f, "", all_sha1, sizeof(all_sha1)), 0u);
	EXPECT_EQ(f.rsp[14], 1u);
	vtpm_power_on(f.t);
	ASSERT_EQ(startup(&f, TPM_SU_CLEAR), 0u);
	EXPECT_EQ(sha1_pcr0_selected(&f), 1u);
	EXPECT_EQ(f.malformed, 0);
}
