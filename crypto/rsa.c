/*
 * RSA (crypto/rsa.h): RFC 8017 primitives and schemes, FIPS 186-5 key generation.
 */
#include "crypto/rsa.h"

#include "crypto/ct.h"
#include "kernel/string.h"

/* Redraws of a random value (blinding factor, nonzero padding byte, q) before giving up:
 * each draw fails with probability <= 1/2 (2^-8 for a padding byte), so hitting the limit
 * means the rng is broken (e.g. stuck), not bad luck. */
#define RSA_RNG_ATTEMPTS 64u

/* ---- Keys ----------------------------------------------------------------------------------- */

static size_t limbs_for(size_t bytes)
{
	return (bytes + 7) / 8;
}

/* Strips leading zero bytes of a public big-endian value. */
static void strip(const uint8_t **p, size_t *len)
{
	while (*len > 0 && **p == 0) {
		(*p)++;
		(*len)--;
	}
}

int rsa_public_key_import(struct rsa_public_key *pub, const uint8_t *n, size_t n_len,
			  const uint8_t *e, size_t e_len)
{
	size_t nl;

	bastion_memset(pub, 0, sizeof(*pub));
	strip(&n, &n_len);
	strip(&e, &e_len);
	if (n_len == 0 || n_len > RSA_MAX_BYTES || e_len == 0 || e_len > n_len) {
		return RSA_ERR_KEY;
	}
	nl = limbs_for(n_len);
	if (bn_from_bytes(pub->n.m, nl, n, n_len) != 0) {
		return RSA_ERR_KEY;
	}
	pub->bits = bn_bit_length(pub->n.m, nl);
	pub->bytes = (pub->bits + 7) / 8;
	if (pub->bits < RSA_MIN_BITS || pub->bits > RSA_MAX_BITS) {
		return RSA_ERR_KEY;
	}
	pub->e_limbs = limbs_for(e_len);
	if (bn_from_bytes(pub->e, nl, e, e_len) != 0 || (pub->e[0] & 1) == 0 ||
	    (pub->e_limbs == 1 && pub->e[0] < 3) || bn_cmp(pub->e, pub->n.m, nl) >= 0) {
		return RSA_ERR_KEY;
	}
	if (bn_mont_init(&pub->n, pub->n.m, nl) != 0) {
		return RSA_ERR_KEY;
	}
	return 0;
}

/* Imports a secret value of at most `limbs` limbs; -1 if it does not fit. */
static int import_secret(uint64_t *r, size_t limbs, const uint8_t *in, size_t len)
{
	bn_zero(r, BN_MAX_LIMBS);
	return bn_from_bytes(r, limbs, in, len);
}

int rsa_private_key_import(struct rsa_private_key *key, const uint8_t *n, size_t n_len,
			   const uint8_t *e, size_t e_len, const uint8_t *d, size_t d_len,
			   const uint8_t *p, size_t p_len, const uint8_t *q, size_t q_len,
			   const uint8_t *dp, size_t dp_len, const uint8_t *dq, size_t dq_len,
			   const uint8_t *qinv, size_t qinv_len, struct rsa_ws *ws)
{
	uint64_t *tp = ws->t[0], *tq = ws->t[1], *x = ws->t[2];
	size_t nl, pl, ql;
	uint64_t bad = 0;
	int rc = RSA_ERR_KEY;

	bastion_memset(key, 0, sizeof(*key));
	if (rsa_public_key_import(&key->pub, n, n_len, e, e_len) != 0) {
		goto out;
	}
	nl = key->pub.n.n;
	/* The sizes of p and q are public (half the modulus); their limb counts are what the
	 * stripped lengths give. */
	strip(&p, &p_len);
	strip(&q, &q_len);
	pl = limbs_for(p_len);
	ql = limbs_for(q_len);
	if (pl == 0 || ql == 0 || 2 * pl < nl || 2 * ql < nl || pl + ql > nl + 1) {
		goto out;
	}
	if (import_secret(tp, pl, p, p_len) != 0 || import_secret(tq, ql, q, q_len) != 0 ||
	    import_secret(key->d, nl, d, d_len) != 0 ||
	    import_secret(key->dp, pl, dp, dp_len) != 0 ||
	    import_secret(key->dq, ql, dq, dq_len) != 0 ||
	    import_secret(key->qinv, pl, qinv, qinv_len) != 0) {
		goto out;
	}
	if (bn_mont_init(&key->p, tp, pl) != 0 || bn_mont_init(&key->q, tq, ql) != 0) {
		goto out;
	}
	/* p * q = n (all checks accumulate into one mask; its verdict is the only branch). */
	bn_mul(ws->wide, tp, pl, tq, ql);
	bad |= ~bn_eq_mask(ws->wide, key->pub.n.m, nl);
	if (pl + ql > nl) {
		bad |= ~bn_zero_mask(ws->wide + nl, pl + ql - nl);
	}
	bad |= ~bn_lt_mask(key->dp, tp, pl) | ~bn_lt_mask(key->dq, tq, ql) |
	       ~bn_lt_mask(key->qinv, tp, pl);
	/* q * qinv = 1 mod p */
	bn_mod_reduce(&key->p, x, tq, ql);
	bn_mod_mul(&key->p, x, x, key->qinv);
	bn_set_word(tq, pl, 1);
	bad |= ~bn_eq_mask(x, tq, pl);
	if (bad == 0) {
		rc = 0;
	}
out:
	if (rc != 0) {
		mem_wipe(key, sizeof(*key));
	}
	mem_wipe(ws, sizeof(*ws));
	return rc;
}

/* ---- Raw operations ------------------------------------------------------------------------- */

int rsa_public_op(const struct rsa_public_key *pub, uint8_t *out, const uint8_t *in, size_t len,
		  struct rsa_ws *ws)
{
	const size_t nl = pub->n.n;
	uint64_t *x = ws->t[0];

	if (len != pub->bytes) {
		return RSA_ERR_INVALID;
	}
	bn_from_bytes(x, nl, in, len);
	if (bn_cmp(x, pub->n.m, nl) >= 0) {
		mem_wipe(ws, sizeof(*ws));
		return RSA_ERR_RANGE;
	}
	bn_mod_exp_public(&pub->n, x, x, pub->e, pub->e_limbs, ws->t[1]);
	bn_to_bytes(out, len, x, nl);
	mem_wipe(ws, sizeof(*ws));
	return 0;
}

int rsa_private_op(const struct rsa_private_key *key, const struct crypto_rng *rng, uint8_t *out,
		   const uint8_t *in, size_t len, struct rsa_ws *ws)
{
	const struct rsa_public_key *pub = &key->pub;
	const size_t nl = pub->n.n, pl = key->p.n, ql = key->q.n;
	uint64_t *c = ws->t[0], *r = ws->t[1], *rinv = ws->t[2], *m1 = ws->t[3], *m2 = ws->t[4];
	uint64_t *x = ws->t[5];
	uint64_t ok;
	int rc;

	if (len != pub->bytes) {
		return RSA_ERR_INVALID;
	}
	bn_from_bytes(c, nl, in, len);
	if (bn_lt_mask(c, pub->n.m, nl) == 0) { /* verdict on the input's range only */
		rc = RSA_ERR_RANGE;
		goto out;
	}
	/* Blinding factor 0 < r < n, invertible (a random r sharing a factor with n would be
	 * a factorisation of n: negligible, but redrawn rather than trusted). Each draw fits
	 * with probability > 1/2, so running out of attempts means a broken rng. */
	for (unsigned int attempt = 0;; attempt++) {
		if (attempt == RSA_RNG_ATTEMPTS ||
		    crypto_rng_bytes(rng, ws->em2, pub->bytes) != 0) {
			rc = RSA_ERR_RNG;
			goto out;
		}
		bn_from_bytes(r, nl, ws->em2, pub->bytes);
		if (pub->bits % 64) {
			r[nl - 1] &= ((uint64_t)1 << (pub->bits % 64)) - 1;
		}
		if ((bn_lt_mask(r, pub->n.m, nl) & ~bn_zero_mask(r, nl)) != 0 &&
		    bn_mod_inv_ct(rinv, r, pub->n.m, nl, &ws->gen) == 0) {
			break;
		}
	}
	/* c' = c * r^e mod n */
	bn_mod_exp_public(&pub->n, r, r, pub->e, pub->e_limbs, x);
	bn_mod_mul(&pub->n, c, c, r);

	/* m1 = c'^dP mod p, m2 = c'^dQ mod q */
	bn_mod_reduce(&key->p, m1, c, nl);
	bn_mod_exp(&key->p, m1, m1, key->dp, &ws->exp);
	bn_mod_reduce(&key->q, m2, c, nl);
	bn_mod_exp(&key->q, m2, m2, key->dq, &ws->exp);
	/* h = qInv * (m1 - m2) mod p; m = m2 + h * q */
	bn_mod_reduce(&key->p, x, m2, ql);
	bn_mod_sub(&key->p, m1, m1, x);
	bn_mod_mul(&key->p, m1, m1, key->qinv);
	bn_mul(ws->wide, m1, pl, key->q.m, ql);
	bn_add_word(ws->wide + ql, ws->wide + ql, bn_add(ws->wide, ws->wide, m2, ql), pl);
	/* m < n, so it fits the nl <= pl + ql low limbs. */
	bn_copy(m1, ws->wide, nl);

	/* Fault check: m^e must give c' back. */
	bn_mod_exp_public(&pub->n, x, m1, pub->e, pub->e_limbs, m2);
	ok = bn_eq_mask(x, c, nl);
	/* Unblind: m = m' * r^-1 mod n */
	bn_mod_mul(&pub->n, m1, m1, rinv);
	/*
	 * No branch on the check's verdict either (it derives from the key): a faulty result is
	 * zeroed by mask and the error code selected by mask; the caller branches on it.
	 */
	for (size_t i = 0; i < nl; i++) {
		m1[i] &= ok;
	}
	bn_to_bytes(out, len, m1, nl);
	rc = (int)(int64_t)ct_select_u64(ok, 0, (uint64_t)(int64_t)RSA_ERR_FAULT);
out:
	mem_wipe(ws, sizeof(*ws));
	return rc;
}

/* ---- Hash helpers --------------------------------------------------------------------------- */

/* DigestInfo prefixes (RFC 8017 9.2, note 1): DER of AlgorithmIdentifier and OCTET STRING
 * headers, followed by the digest. */
static const uint8_t di_sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
				  0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

static const uint8_t *digest_info(enum hash_id hash, size_t *len)
{
	switch (hash) {
	case HASH_SHA1:
		*len = sizeof(di_sha1);
		return di_sha1;
	case HASH_SHA256:
		*len = sizeof(di_sha256);
		return di_sha256;
	case HASH_SHA384:
		*len = sizeof(di_sha384);
		return di_sha384;
	case HASH_SHA512:
		*len = sizeof(di_sha512);
		return di_sha512;
	default:
		*len = 0;
		return NULL;
	}
}

/* The digest size of hash, or 0 if unsupported. */
static size_t hash_len(enum hash_id hash)
{
	const struct hash_alg *alg = hash_alg_get(hash);

	return alg != NULL ? alg->digest_size : 0;
}

/* out[len] ^= MGF1(seed[seed_len]) (RFC 8017 B.2.1). Time depends on the lengths only. */
static void mgf1_xor(enum hash_id hash, uint8_t *out, size_t len, const uint8_t *seed,
		     size_t seed_len)
{
	const size_t hl = hash_len(hash);
	struct hash_ctx ctx;
	uint8_t block[HASH_MAX_DIGEST_SIZE];
	uint32_t counter = 0;

	for (size_t done = 0; done < len; done += hl, counter++) {
		uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16),
				(uint8_t)(counter >> 8), (uint8_t)counter};
		size_t take = len - done < hl ? len - done : hl;

		hash_init(&ctx, hash);
		hash_update(&ctx, seed, seed_len);
		hash_update(&ctx, c, sizeof(c));
		hash_final(&ctx, block);
		for (size_t i = 0; i < take; i++) {
			out[done + i] ^= block[i];
		}
	}
	mem_wipe(block, sizeof(block));
}

/* ---- EMSA-PKCS1-v1_5 ------------------------------------------------------------------------ */

/* em[k] = 0x00 01 ff..ff 00 || DigestInfo || digest (RFC 8017 9.2). */
static int pkcs1_encode(enum hash_id hash, const uint8_t *digest, size_t digest_len, uint8_t *em,
			size_t k)
{
	size_t di_len;
	const uint8_t *di = digest_info(hash, &di_len);
	size_t t_len = di_len + digest_len;

	if (di == NULL || digest_len != hash_len(hash) || k < t_len + 11) {
		return RSA_ERR_INVALID;
	}
	em[0] = 0x00;
	em[1] = 0x01;
	bastion_memset(em + 2, 0xff, k - t_len - 3);
	em[k - t_len - 1] = 0x00;
	bastion_memcpy(em + k - t_len, di, di_len);
	bastion_memcpy(em + k - digest_len, digest, digest_len);
	return 0;
}

int rsa_pkcs1_sign(const struct rsa_private_key *key, const struct crypto_rng *rng,
		   enum hash_id hash, const uint8_t *digest, size_t digest_len, uint8_t *sig,
		   size_t sig_len, struct rsa_ws *ws)
{
	uint8_t em[RSA_MAX_BYTES];
	int rc;

	if (sig_len != key->pub.bytes) {
		return RSA_ERR_INVALID;
	}
	rc = pkcs1_encode(hash, digest, digest_len, em, sig_len);
	if (rc == 0) {
		rc = rsa_private_op(key, rng, sig, em, sig_len, ws);
	}
	mem_wipe(em, sizeof(em));
	return rc;
}

int rsa_pkcs1_verify(const struct rsa_public_key *pub, enum hash_id hash, const uint8_t *digest,
		     size_t digest_len, const uint8_t *sig, size_t sig_len, struct rsa_ws *ws)
{
	uint8_t em[RSA_MAX_BYTES], expect[RSA_MAX_BYTES];
	int rc;

	if (sig_len != pub->bytes) {
		return RSA_ERR_INVALID;
	}
	rc = pkcs1_encode(hash, digest, digest_len, expect, sig_len);
	if (rc != 0) {
		return rc;
	}
	rc = rsa_public_op(pub, em, sig, sig_len, ws);
	if (rc != 0) {
		return rc;
	}
	return ct_memeq(em, expect, sig_len) ? 0 : RSA_ERR_VERIFY;
}

/* ---- EMSA-PSS ------------------------------------------------------------------------------- */

/* H = Hash(0x00 * 8 || mHash || salt) */
static void pss_hash(enum hash_id hash, const uint8_t *digest, size_t digest_len,
		     const uint8_t *salt, size_t salt_len, uint8_t *out)
{
	static const uint8_t zeros[8] = {0};
	struct hash_ctx ctx;

	hash_init(&ctx, hash);
	hash_update(&ctx, zeros, sizeof(zeros));
	hash_update(&ctx, digest, digest_len);
	hash_update(&ctx, salt, salt_len);
	hash_final(&ctx, out);
}

int rsa_pss_sign(const struct rsa_private_key *key, const struct crypto_rng *rng, enum hash_id hash,
		 const uint8_t *digest, size_t digest_len, size_t salt_len, uint8_t *sig,
		 size_t sig_len, struct rsa_ws *ws)
{
	const size_t k = key->pub.bytes;
	const size_t em_bits = key->pub.bits - 1;
	const size_t em_len = (em_bits + 7) / 8;
	const size_t hl = hash_len(hash);
	uint8_t em[RSA_MAX_BYTES];
	uint8_t salt[RSA_MAX_BYTES];
	uint8_t *e; /* EM inside the k-byte block (a leading zero byte when em_len < k) */
	size_t db_len;
	int rc;

	if (salt_len == RSA_PSS_SALT_HASHLEN) {
		salt_len = hl;
	}
	if (hl == 0 || digest_len != hl || sig_len != k || salt_len > RSA_MAX_BYTES ||
	    em_len < hl + salt_len + 2) {
		return RSA_ERR_INVALID;
	}
	if (crypto_rng_bytes(rng, salt, salt_len) != 0) {
		return RSA_ERR_RNG;
	}
	bastion_memset(em, 0, k);
	e = em + (k - em_len);
	db_len = em_len - hl - 1;
	/* H lands right after DB; DB = PS || 0x01 || salt, masked with MGF1(H). */
	pss_hash(hash, digest, digest_len, salt, salt_len, e + db_len);
	e[db_len - salt_len - 1] = 0x01;
	bastion_memcpy(e + db_len - salt_len, salt, salt_len);
	mgf1_xor(hash, e, db_len, e + db_len, hl);
	e[0] &= (uint8_t)(0xff >> (8 * em_len - em_bits));
	e[em_len - 1] = 0xbc;
	rc = rsa_private_op(key, rng, sig, em, k, ws);
	mem_wipe(em, sizeof(em));
	mem_wipe(salt, sizeof(salt));
	return rc;
}

int rsa_pss_verify(const struct rsa_public_key *pub, enum hash_id hash, const uint8_t *digest,
		   size_t digest_len, const uint8_t *sig, size_t sig_len, struct rsa_ws *ws)
{
	const size_t k = pub->bytes;
	const size_t em_bits = pub->bits - 1;
	const size_t em_len = (em_bits + 7) / 8;
	const size_t hl = hash_len(hash);
	const uint8_t top_mask = (uint8_t)(0xff << (8 - (8 * em_len - em_bits)));
	uint8_t em[RSA_MAX_BYTES];
	uint8_t h2[HASH_MAX_DIGEST_SIZE];
	uint8_t *e, *h;
	size_t db_len, i;
	int rc;

	/* Everything here is public (signature, key, digest): plain branches. */
	if (hl == 0 || digest_len != hl || sig_len != k) {
		return RSA_ERR_INVALID;
	}
	rc = rsa_public_op(pub, em, sig, sig_len, ws);
	if (rc != 0) {
		return rc;
	}
	if (em_len < hl + 2) {
		return RSA_ERR_VERIFY;
	}
	if (em_len < k && em[0] != 0) { /* m must fit in em_len bytes */
		return RSA_ERR_VERIFY;
	}
	e = em + (k - em_len);
	db_len = em_len - hl - 1;
	h = e + db_len;
	if (e[em_len - 1] != 0xbc || (e[0] & top_mask) != 0) {
		return RSA_ERR_VERIFY;
	}
	mgf1_xor(hash, e, db_len, h, hl);
	e[0] &= (uint8_t)~top_mask;
	for (i = 0; i < db_len && e[i] == 0; i++) {
	}
	if (i == db_len || e[i] != 0x01) {
		return RSA_ERR_VERIFY;
	}
	i++;
	pss_hash(hash, digest, digest_len, e + i, db_len - i, h2);
	return ct_memeq(h, h2, hl) ? 0 : RSA_ERR_VERIFY;
}

/* ---- Constant-time message extraction -------------------------------------------------------- */

/*
 * Moves buf[off..len) to buf[0..len - off) (zero fill) for a secret off <= len, by masked
 * shifts of 1, 2, 4, ... bytes: the memory access pattern depends on len only.
 */
static void ct_shift_left(uint8_t *buf, size_t len, size_t off)
{
	for (size_t step = 1; step < len + 1 && step != 0; step <<= 1) {
		uint8_t mask = (uint8_t)ct_mask_nonzero_u64(off & step);

		for (size_t i = 0; i < len; i++) {
			uint8_t v = i + step < len ? buf[i + step] : 0;
			buf[i] = (uint8_t)(buf[i] ^ (mask & (buf[i] ^ v)));
		}
	}
}

/* All-ones if the private operation succeeded (rc == 0); no branch. */
static uint64_t priv_ok_mask(int rc)
{
	return ct_mask_zero_u64((uint64_t)(uint32_t)rc);
}

/*
 * The decryption result without a branch: 0 if good; else the private operation's error
 * if it failed for a reason other than an out-of-range ciphertext (rng failure, fault);
 * else RSA_ERR_DECRYPT, the one code for every bad ciphertext.
 */
static int decrypt_result(uint64_t good, int priv_rc)
{
	uint64_t pass_on = ~priv_ok_mask(priv_rc) &
			   ~ct_mask_eq_u64((uint32_t)priv_rc, (uint32_t)RSA_ERR_RANGE);
	uint64_t err = ct_select_u64(pass_on, (uint64_t)(int64_t)priv_rc,
				     (uint64_t)(int64_t)RSA_ERR_DECRYPT);

	return (int)(int64_t)ct_select_u64(good, 0, err);
}

/* ---- RSAES-OAEP ----------------------------------------------------------------------------- */

int rsa_oaep_encrypt(const struct rsa_public_key *pub, const struct crypto_rng *rng,
		     enum hash_id hash, const uint8_t *label, size_t label_len, const uint8_t *msg,
		     size_t msg_len, uint8_t *out, size_t out_len, struct rsa_ws *ws)
{
	const size_t k = pub->bytes;
	const size_t hl = hash_len(hash);
	uint8_t em[RSA_MAX_BYTES];
	uint8_t *seed = em + 1, *db = em + 1 + hl;
	size_t db_len;
	int rc;

	if (hl == 0 || out_len != k || k < 2 * hl + 2 || msg_len > k - 2 * hl - 2) {
		return RSA_ERR_INVALID;
	}
	db_len = k - hl - 1;
	bastion_memset(em, 0, k);
	if (hash_oneshot(hash, label, label_len, db) != 0) {
		return RSA_ERR_INVALID;
	}
	db[db_len - msg_len - 1] = 0x01;
	bastion_memcpy(db + db_len - msg_len, msg, msg_len);
	if (crypto_rng_bytes(rng, seed, hl) != 0) {
		mem_wipe(em, sizeof(em));
		return RSA_ERR_RNG;
	}
	mgf1_xor(hash, db, db_len, seed, hl);
	mgf1_xor(hash, seed, hl, db, db_len);
	rc = rsa_public_op(pub, out, em, k, ws);
	mem_wipe(em, sizeof(em));
	return rc;
}

int rsa_oaep_decrypt(const struct rsa_private_key *key, const struct crypto_rng *rng,
		     enum hash_id hash, const uint8_t *label, size_t label_len, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t out_cap, size_t *msg_len,
		     struct rsa_ws *ws)
{
	const size_t k = key->pub.bytes;
	const size_t hl = hash_len(hash);
	uint8_t em[RSA_MAX_BYTES];
	uint8_t lhash[HASH_MAX_DIGEST_SIZE];
	uint8_t *seed = em + 1, *db = em + 1 + hl;
	size_t db_len, max_msg;
	uint64_t good, looking, bad, idx = 0;
	int rc;

	*msg_len = 0;
	if (hl == 0 || in_len != k || k < 2 * hl + 2) {
		return RSA_ERR_INVALID;
	}
	max_msg = k - 2 * hl - 2;
	if (out_cap < max_msg) {
		return RSA_ERR_INVALID;
	}
	db_len = k - hl - 1;
	if (hash_oneshot(hash, label, label_len, lhash) != 0) {
		return RSA_ERR_INVALID;
	}
	bastion_memset(em, 0, sizeof(em));
	rc = rsa_private_op(key, rng, em, in, in_len, ws);
	/* From here on em is secret: no branch, no early exit, no secret index. rc is folded in
	 * by mask too (RSA_ERR_FAULT is derived from the key). */
	mgf1_xor(hash, seed, hl, db, db_len);
	mgf1_xor(hash, db, db_len, seed, hl);
	good = priv_ok_mask(rc);
	good &= ct_mask_zero_u64(em[0]);
	good &= 0 - (uint64_t)ct_memeq(db, lhash, hl);
	/* DB = lHash || 0x00... || 0x01 || M: find the 0x01 after the zeros. */
	looking = ~(uint64_t)0;
	bad = 0;
	for (size_t i = hl; i < db_len; i++) {
		uint64_t is_zero = ct_mask_zero_u64(db[i]);
		uint64_t is_one = ct_mask_eq_u64(db[i], 1);

		idx = ct_select_u64(looking & is_one, i + 1, idx);
		bad |= looking & ~is_zero & ~is_one;
		looking &= is_zero;
	}
	good &= ~bad & ~looking;
	/* The message is db[idx..db_len); move the max_msg-byte tail region to its start. */
	ct_shift_left(db + hl + 1, max_msg, (size_t)(ct_select_u64(good, idx, hl + 1) - (hl + 1)));
	ct_copy_if((uint8_t)good, out, db + hl + 1, max_msg);
	*msg_len = (size_t)(good & (db_len - idx));
	rc = decrypt_result(good, rc);
	mem_wipe(em, sizeof(em));
	return rc;
}

/* ---- RSAES-PKCS1-v1_5 ----------------------------------------------------------------------- */

int rsa_pkcs1_encrypt(const struct rsa_public_key *pub, const struct crypto_rng *rng,
		      const uint8_t *msg, size_t msg_len, uint8_t *out, size_t out_len,
		      struct rsa_ws *ws)
{
	const size_t k = pub->bytes;
	uint8_t em[RSA_MAX_BYTES];
	size_t ps_len;
	int rc;

	if (out_len != k || k < 11 || msg_len > k - 11) {
		return RSA_ERR_INVALID;
	}
	ps_len = k - msg_len - 3;
	em[0] = 0x00;
	em[1] = 0x02;
	/* PS: random nonzero bytes (zeros redrawn one at a time, from the same rng). */
	if (crypto_rng_bytes(rng, em + 2, ps_len) != 0) {
		mem_wipe(em, sizeof(em));
		return RSA_ERR_RNG;
	}
	for (size_t i = 0; i < ps_len; i++) {
		for (unsigned int attempt = 0; em[2 + i] == 0; attempt++) {
			if (attempt == RSA_RNG_ATTEMPTS ||
			    crypto_rng_bytes(rng, em + 2 + i, 1) != 0) {
				mem_wipe(em, sizeof(em));
				return RSA_ERR_RNG;
			}
		}
	}
	em[2 + ps_len] = 0x00;
	bastion_memcpy(em + 3 + ps_len, msg, msg_len);
	rc = rsa_public_op(pub, out, em, k, ws);
	mem_wipe(em, sizeof(em));
	return rc;
}

int rsa_pkcs1_decrypt(const struct rsa_private_key *key, const struct crypto_rng *rng,
		      const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
		      size_t *msg_len, struct rsa_ws *ws)
{
	const size_t k = key->pub.bytes;
	uint8_t em[RSA_MAX_BYTES];
	uint64_t good, looking, zero_pos = 0;
	size_t max_msg;
	int rc;

	*msg_len = 0;
	if (in_len != k || k < 11 || out_cap < k - 11) {
		return RSA_ERR_INVALID;
	}
	max_msg = k - 11;
	bastion_memset(em, 0, sizeof(em));
	rc = rsa_private_op(key, rng, em, in, in_len, ws);
	/* EM = 0x00 || 0x02 || PS (>= 8 nonzero bytes) || 0x00 || M, checked without branches. */
	good = priv_ok_mask(rc) & ct_mask_zero_u64(em[0]) & ct_mask_eq_u64(em[1], 2);
	looking = ~(uint64_t)0;
	for (size_t i = 2; i < k; i++) {
		uint64_t is_zero = ct_mask_zero_u64(em[i]);

		zero_pos = ct_select_u64(looking & is_zero, i, zero_pos);
		looking &= ~is_zero;
	}
	good &= ~looking & ~ct_mask_lt_u64(zero_pos, 10);
	/* M = em[zero_pos + 1 .. k) inside the region em[11 .. k). */
	ct_shift_left(em + 11, max_msg, (size_t)(ct_select_u64(good, zero_pos + 1, 11) - 11));
	ct_copy_if((uint8_t)good, out, em + 11, max_msg);
	*msg_len = (size_t)(good & (k - 1 - zero_pos));
	rc = decrypt_result(good, rc);
	mem_wipe(em, sizeof(em));
	return rc;
}

/* ---- Key generation ------------------------------------------------------------------------- */

/* All-ones if |a - b| > 2^limit_bit for a, b of n limbs (FIPS 186-5 A.1.3 step 5.4). */
static uint64_t far_apart(const uint64_t *a, const uint64_t *b, size_t n, size_t limit_bit,
			  uint64_t *t1, uint64_t *t2)
{
	uint64_t any = 0;

	bn_sub(t1, a, b, n);
	bn_sub(t2, b, a, n);
	bn_cond_copy(bn_lt_mask(a, b, n), t1, t2, n);
	/* |a - b| > 2^limit_bit <=> (|a - b| - 1) >> limit_bit != 0 */
	bn_sub_word(t1, t1, 1, n);
	for (size_t i = 0; i < n; i++) {
		for (unsigned int bit = 0; bit < 64; bit++) {
			if (64 * i + bit > limit_bit) { /* positions are public */
				any |= (t1[i] >> bit) & 1;
			}
		}
	}
	return ct_mask_nonzero_u64(any);
}

int rsa_generate(struct rsa_private_key *key, unsigned int bits, const struct crypto_rng *rng,
		 struct rsa_keygen_ws *ws)
{
	const size_t half = bits / 2;
	const size_t hl = half / 64; /* limbs of p and q */
	const size_t nl = bits / 64;
	const uint64_t e = RSA_E_DEFAULT;
	struct rsa_ws *op = &ws->op;
	uint64_t *p = op->t[0], *q = op->t[1], *x = op->t[2], *y = op->t[3];
	int rc;

	if (bits != 2048 && bits != 3072 && bits != 4096) {
		return RSA_ERR_INVALID;
	}
	bastion_memset(key, 0, sizeof(*key));
	for (;;) {
		uint64_t ebn[1] = {e};

		rc = prime_generate(p, half, (uint32_t)e, rng, &ws->prime);
		if (rc != 0) {
			break;
		}
		for (unsigned int attempt = 0;; attempt++) {
			if (attempt == RSA_RNG_ATTEMPTS) {
				rc = RSA_ERR_KEYGEN; /* q keeps landing next to p: a stuck rng */
				break;
			}
			rc = prime_generate(q, half, (uint32_t)e, rng, &ws->prime);
			if (rc != 0 || far_apart(p, q, hl, half - 100, x, y) != 0) {
				break;
			}
		}
		if (rc != 0) {
			break;
		}
		/* lambda = (p - 1)(q - 1) / gcd(p - 1, q - 1), constant time. */
		bn_sub_word(ws->p1, p, 1, hl);
		bn_sub_word(ws->q1, q, 1, hl);
		bn_gcd_ct(ws->g, ws->p1, ws->q1, hl, &op->gen);
		bn_mul(ws->phi, ws->p1, hl, ws->q1, hl);
		bn_div_ct(ws->lambda, x, ws->phi, nl, ws->g, hl, &op->gen);
		/* k = -lambda^-1 mod e; d = (lambda * k + 1) / e (exact): d e = 1 mod lambda. */
		bn_div_ct(NULL, x, ws->lambda, nl, ebn, 1, &op->gen);
		if (bn_mod_inv_ct(y, x, ebn, 1, &op->gen) != 0) {
			rc = RSA_ERR_KEYGEN; /* cannot happen: gcd(e, p - 1) = gcd(e, q - 1) = 1 */
			break;
		}
		y[0] = e - y[0];
		bn_mul(ws->k, ws->lambda, nl, y, 1);
		bn_add_word(ws->k, ws->k, 1, nl + 1);
		bn_div_ct(ws->phi, x, ws->k, nl + 1, ebn, 1, &op->gen);
		bn_copy(key->d, ws->phi, nl);
		/* FIPS 186-5 A.1.3 step 7.2: d > 2^(nlen/2), else start over (never seen). */
		bn_zero(x, nl);
		x[hl] = 1;
		if ((bn_lt_mask(x, key->d, nl)) == 0) {
			continue;
		}
		/* CRT values. */
		bn_div_ct(NULL, key->dp, key->d, nl, ws->p1, hl, &op->gen);
		bn_div_ct(NULL, key->dq, key->d, nl, ws->q1, hl, &op->gen);
		if (bn_mont_init(&key->p, p, hl) != 0 || bn_mont_init(&key->q, q, hl) != 0) {
			rc = RSA_ERR_KEYGEN;
			break;
		}
		/* qInv = q^(p - 2) mod p (Fermat; q < 2^half so one reduction makes it < p). */
		bn_mod_reduce(&key->p, x, q, hl);
		bn_sub_word(y, p, 2, hl);
		bn_mod_exp(&key->p, key->qinv, x, y, &op->exp);
		/* Public key. */
		bn_mul(ws->phi, p, hl, q, hl);
		bn_zero(key->pub.n.m, BN_MAX_LIMBS);
		if (bn_mont_init(&key->pub.n, ws->phi, nl) != 0) {
			rc = RSA_ERR_KEYGEN;
			break;
		}
		key->pub.bits = bits;
		key->pub.bytes = bits / 8;
		key->pub.e[0] = e;
		key->pub.e_limbs = 1;
		break;
	}
	mem_wipe(ws, sizeof(*ws));
	if (rc == 0) {
		/* Pairwise consistency (FIPS 186-5 5.1 / SP 800-56B 6.4.1.1): a fixed value must
		 * survive encryption and decryption. */
		uint8_t m[RSA_MAX_BYTES], c[RSA_MAX_BYTES], back[RSA_MAX_BYTES];

		bastion_memset(m, 0, key->pub.bytes);
		m[key->pub.bytes - 1] = 0x02;
		m[key->pub.bytes / 2] = 0x5a;
		if (rsa_public_op(&key->pub, c, m, key->pub.bytes, &ws->op) != 0 ||
		    rsa_private_op(key, rng, back, c, key->pub.bytes, &ws->op) != 0 ||
		    !ct_memeq(m, back, key->pub.bytes)) {
			rc = RSA_ERR_KEYGEN;
		}
		mem_wipe(back, sizeof(back));
		mem_wipe(ws, sizeof(*ws));
	}
	if (rc != 0) {
		mem_wipe(key, sizeof(*key));
		rc = rc == PRIME_ERR_RNG ? RSA_ERR_RNG : rc;
		if (rc != RSA_ERR_RNG && rc != RSA_ERR_KEYGEN) {
			rc = RSA_ERR_KEYGEN;
		}
	}
	return rc;
}
