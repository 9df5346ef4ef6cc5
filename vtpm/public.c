/* Object public and sensitive areas: see public.h. */
#include "vtpm/public.h"

#include "crypto/hash.h"
#include "kernel/string.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"

static bool is_asym(uint16_t type)
{
	return type == TPM_ALG_RSA || type == TPM_ALG_ECC;
}

static uint16_t digest_size(uint16_t alg)
{
	int i = vtpm_hash_index(alg);

	return i < 0 ? 0 : vtpm_hash_info((unsigned int)i)->size;
}

static uint16_t curve_bytes(uint16_t curve)
{
	return curve == TPM_ECC_NIST_P256 ? 32u : curve == TPM_ECC_NIST_P384 ? 48u : 0u;
}

/* TPMT_SYM_DEF_OBJECT(+) (Part 2 §11.1.7): AES 128/256 with a mode. */
static uint32_t read_sym(struct mr *r, struct vtpm_public *p, bool allow_null)
{
	p->sym_alg = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (p->sym_alg == TPM_ALG_NULL && allow_null) {
		return TPM_RC_SUCCESS;
	}
	if (p->sym_alg != TPM_ALG_AES) {
		return mr_fail(r, TPM_RC_SYMMETRIC);
	}
	p->sym_bits = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && p->sym_bits != 128 && p->sym_bits != 256) {
		return mr_fail(r, TPM_RC_KEY_SIZE);
	}
	p->sym_mode = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (p->sym_mode) {
	case TPM_ALG_CFB:
	case TPM_ALG_CTR:
	case TPM_ALG_OFB:
	case TPM_ALG_CBC:
	case TPM_ALG_ECB:
	case TPM_ALG_NULL:
		return TPM_RC_SUCCESS;
	default:
		return mr_fail(r, TPM_RC_MODE);
	}
}

/* A scheme's hashAlg (never NULL inside a scheme). */
static uint32_t read_scheme_hash(struct mr *r, struct vtpm_public *p)
{
	return mr_alg_hash(r, &p->scheme_hash, false);
}

static uint32_t read_keyedhash(struct mr *r, struct vtpm_public *p)
{
	p->scheme = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (p->scheme) {
	case TPM_ALG_HMAC:
		return read_scheme_hash(r, p);
	case TPM_ALG_XOR:
		if (read_scheme_hash(r, p) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		p->kdf = mr_u16(r);
		if (r->rc == TPM_RC_SUCCESS && p->kdf != TPM_ALG_KDF1_SP800_108) {
			return mr_fail(r, TPM_RC_KDF);
		}
		return r->rc;
	case TPM_ALG_NULL:
		return TPM_RC_SUCCESS;
	default:
		return mr_fail(r, TPM_RC_VALUE);
	}
}

static uint32_t read_rsa(struct mr *r, struct vtpm_public *p)
{
	if (read_sym(r, p, true) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	p->scheme = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (p->scheme) {
	case TPM_ALG_RSASSA:
	case TPM_ALG_RSAPSS:
	case TPM_ALG_OAEP:
		if (read_scheme_hash(r, p) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		break;
	case TPM_ALG_RSAES:
	case TPM_ALG_NULL:
		break;
	default:
		return mr_fail(r, TPM_RC_VALUE);
	}
	p->key_bits = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && p->key_bits != VTPM_RSA_BITS) {
		return mr_fail(r, TPM_RC_VALUE);
	}
	p->exponent = mr_u32(r);
	return r->rc;
}

static uint32_t read_ecc(struct mr *r, struct vtpm_public *p)
{
	if (read_sym(r, p, true) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	p->scheme = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (p->scheme) {
	case TPM_ALG_ECDSA:
	case TPM_ALG_ECDH:
		if (read_scheme_hash(r, p) != TPM_RC_SUCCESS) {
			return r->rc;
		}
		break;
	case TPM_ALG_NULL:
		break;
	default:
		return mr_fail(r, TPM_RC_SCHEME);
	}
	p->curve = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && curve_bytes(p->curve) == 0) {
		return mr_fail(r, TPM_RC_CURVE);
	}
	/* TPMT_KDF_SCHEME+: only TPM_ALG_NULL (no ECC-KDF keys in this TPM). */
	p->kdf = mr_u16(r);
	if (r->rc == TPM_RC_SUCCESS && p->kdf != TPM_ALG_NULL) {
		return mr_fail(r, TPM_RC_KDF);
	}
	return r->rc;
}

static uint32_t read_2b(struct mr *r, size_t max, uint8_t *out, uint16_t *size)
{
	const uint8_t *d;
	uint16_t n = mr_tpm2b(r, max, &d);

	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (n != 0) {
		bastion_memcpy(out, d, n);
	}
	*size = n;
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_public_unmarshal(struct mr *r, struct vtpm_public *p)
{
	bastion_memset(p, 0, sizeof(*p));
	p->type = mr_u16(r);
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (p->type != TPM_ALG_RSA && p->type != TPM_ALG_ECC && p->type != TPM_ALG_KEYEDHASH &&
	    p->type != TPM_ALG_SYMCIPHER) {
		return mr_fail(r, TPM_RC_TYPE);
	}
	if (mr_alg_hash(r, &p->name_alg, false) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	p->attributes = mr_u32(r);
	if (r->rc == TPM_RC_SUCCESS && (p->attributes & TPMA_OBJECT_RESERVED) != 0) {
		return mr_fail(r, TPM_RC_RESERVED_BITS);
	}
	if (read_2b(r, VTPM_MAX_DIGEST, p->policy, &p->policy_size) != TPM_RC_SUCCESS) {
		return r->rc;
	}
	switch (p->type) {
	case TPM_ALG_KEYEDHASH:
		read_keyedhash(r, p);
		read_2b(r, VTPM_MAX_DIGEST, p->unique, &p->unique_size);
		break;
	case TPM_ALG_SYMCIPHER:
		read_sym(r, p, false);
		read_2b(r, VTPM_MAX_DIGEST, p->unique, &p->unique_size);
		break;
	case TPM_ALG_RSA:
		read_rsa(r, p);
		read_2b(r, VTPM_RSA_BYTES, p->unique, &p->unique_size);
		break;
	default:
		read_ecc(r, p);
		read_2b(r, VTPM_ECC_MAX_BYTES, p->unique, &p->unique_size);
		read_2b(r, VTPM_ECC_MAX_BYTES, p->y, &p->y_size);
		break;
	}
	return r->rc;
}

uint32_t vtpm_public_unmarshal_2b(struct mr *r, struct vtpm_public *p, const uint8_t **raw,
				  uint16_t *raw_len)
{
	const uint8_t *d;
	uint16_t n = mr_tpm2b(r, VTPM_PUBLIC_MAX, &d);
	struct mr in;

	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (n == 0) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	mr_init(&in, d, n);
	if (vtpm_public_unmarshal(&in, p) != TPM_RC_SUCCESS) {
		/* Running out inside the declared size is a size mismatch. */
		return mr_fail(r, in.rc == TPM_RC_INSUFFICIENT ? TPM_RC_SIZE : in.rc);
	}
	if (mr_remaining(&in) != 0) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	if (raw != NULL) {
		*raw = d;
		*raw_len = n;
	}
	return TPM_RC_SUCCESS;
}

static void write_sym(struct mw *w, const struct vtpm_public *p)
{
	mw_u16(w, p->sym_alg);
	if (p->sym_alg != TPM_ALG_NULL) {
		mw_u16(w, p->sym_bits);
		mw_u16(w, p->sym_mode);
	}
}

static void write_scheme(struct mw *w, const struct vtpm_public *p)
{
	mw_u16(w, p->scheme);
	if (p->scheme != TPM_ALG_NULL && p->scheme != TPM_ALG_RSAES) {
		mw_u16(w, p->scheme_hash);
	}
	if (p->scheme == TPM_ALG_XOR) {
		mw_u16(w, p->kdf);
	}
}

void vtpm_public_marshal(struct mw *w, const struct vtpm_public *p)
{
	mw_u16(w, p->type);
	mw_u16(w, p->name_alg);
	mw_u32(w, p->attributes);
	mw_tpm2b(w, p->policy, p->policy_size);
	switch (p->type) {
	case TPM_ALG_KEYEDHASH:
		write_scheme(w, p);
		mw_tpm2b(w, p->unique, p->unique_size);
		break;
	case TPM_ALG_SYMCIPHER:
		write_sym(w, p);
		mw_tpm2b(w, p->unique, p->unique_size);
		break;
	case TPM_ALG_RSA:
		write_sym(w, p);
		write_scheme(w, p);
		mw_u16(w, p->key_bits);
		mw_u32(w, p->exponent);
		mw_tpm2b(w, p->unique, p->unique_size);
		break;
	default:
		write_sym(w, p);
		write_scheme(w, p);
		mw_u16(w, p->curve);
		mw_u16(w, p->kdf);
		mw_tpm2b(w, p->unique, p->unique_size);
		mw_tpm2b(w, p->y, p->y_size);
		break;
	}
}

void vtpm_public_marshal_2b(struct mw *w, const struct vtpm_public *p)
{
	size_t at = w->off;

	mw_u16(w, 0);
	vtpm_public_marshal(w, p);
	if (!w->overflow) {
		put_be16(w->p + at, (uint16_t)(w->off - at - 2));
	}
}

size_t vtpm_public_name(const struct vtpm_public *p, uint8_t *name)
{
	uint8_t buf[VTPM_PUBLIC_MAX];
	struct mw w;
	int i = vtpm_hash_index(p->name_alg);

	if (i < 0) {
		return 0;
	}
	mw_init(&w, buf, sizeof(buf));
	vtpm_public_marshal(&w, p);
	if (w.overflow) {
		return 0;
	}
	put_be16(name, p->name_alg);
	if (hash_oneshot(vtpm_hash_info((unsigned int)i)->id, buf, w.off, name + 2) != 0) {
		return 0;
	}
	return 2u + vtpm_hash_info((unsigned int)i)->size;
}

bool vtpm_public_is_parent(const struct vtpm_public *p)
{
	uint32_t want = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;

	return is_asym(p->type) && (p->attributes & (want | TPMA_OBJECT_SIGN)) == want &&
	       p->sym_alg == TPM_ALG_AES;
}

/* Schemes against sign/decrypt/restricted (Part 1 "Object Attributes", Part 2 §12.2.3). */
static uint32_t check_asym(const struct vtpm_public *p)
{
	uint32_t a = p->attributes;
	bool sign = (a & TPMA_OBJECT_SIGN) != 0;
	bool decrypt = (a & TPMA_OBJECT_DECRYPT) != 0;
	bool restricted = (a & TPMA_OBJECT_RESTRICTED) != 0;

	if (p->type == TPM_ALG_RSA && p->exponent != 0 && p->exponent != 65537u) {
		return TPM_RC_RANGE;
	}
	if (restricted && decrypt) {
		/* A storage parent: symmetric CFB, no asymmetric scheme. */
		if (p->sym_alg == TPM_ALG_NULL) {
			return TPM_RC_SYMMETRIC;
		}
		if (p->sym_mode != TPM_ALG_CFB) {
			return TPM_RC_MODE;
		}
		return p->scheme == TPM_ALG_NULL ? TPM_RC_SUCCESS : TPM_RC_SCHEME;
	}
	if (p->sym_alg != TPM_ALG_NULL) {
		return TPM_RC_SYMMETRIC;
	}
	if (p->scheme == TPM_ALG_NULL) {
		/* A restricted signing key must name its scheme. */
		return restricted ? TPM_RC_SCHEME : TPM_RC_SUCCESS;
	}
	if (sign && decrypt) {
		return TPM_RC_SCHEME;
	}
	if (sign) {
		return p->scheme == TPM_ALG_RSASSA || p->scheme == TPM_ALG_RSAPSS ||
				       p->scheme == TPM_ALG_ECDSA
			       ? TPM_RC_SUCCESS
			       : TPM_RC_SCHEME;
	}
	if (decrypt) {
		return p->scheme == TPM_ALG_RSAES || p->scheme == TPM_ALG_OAEP ||
				       p->scheme == TPM_ALG_ECDH
			       ? TPM_RC_SUCCESS
			       : TPM_RC_SCHEME;
	}
	return TPM_RC_SCHEME;
}

static uint32_t check_common(const struct vtpm_public *p)
{
	uint32_t a = p->attributes;
	bool sign = (a & TPMA_OBJECT_SIGN) != 0;
	bool decrypt = (a & TPMA_OBJECT_DECRYPT) != 0;

	if ((a & TPMA_OBJECT_FIXED_TPM) && !(a & TPMA_OBJECT_FIXED_PARENT)) {
		return TPM_RC_ATTRIBUTES;
	}
	if ((a & TPMA_OBJECT_RESTRICTED) && sign == decrypt) {
		return TPM_RC_ATTRIBUTES;
	}
	if (a & TPMA_OBJECT_X509SIGN) {
		return TPM_RC_ATTRIBUTES; /* no TPM2_CertifyX509 */
	}
	if (p->policy_size != 0 && p->policy_size != digest_size(p->name_alg)) {
		return TPM_RC_SIZE;
	}
	switch (p->type) {
	case TPM_ALG_SYMCIPHER:
		/* A symmetric key decrypts (decrypt) and/or encrypts (sign means "encrypt" for a
		 * SYMCIPHER key, Part 2 §8.3.3.1); no symmetric storage parents here. */
		if (!(decrypt || sign) || (a & TPMA_OBJECT_RESTRICTED)) {
			return TPM_RC_ATTRIBUTES;
		}
		return TPM_RC_SUCCESS;
	case TPM_ALG_KEYEDHASH:
		/* HMAC key (sign) or sealed data (neither); no derivation parents here. */
		if (decrypt) {
			return TPM_RC_ATTRIBUTES;
		}
		if (sign) {
			return p->scheme == TPM_ALG_HMAC ||
					       (p->scheme == TPM_ALG_NULL &&
						!(a & TPMA_OBJECT_RESTRICTED))
				       ? TPM_RC_SUCCESS
				       : TPM_RC_SCHEME;
		}
		return p->scheme == TPM_ALG_NULL ? TPM_RC_SUCCESS : TPM_RC_SCHEME;
	default:
		return check_asym(p);
	}
}

uint32_t vtpm_public_check_load(const struct vtpm_public *p)
{
	uint32_t rc = check_common(p);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (p->type == TPM_ALG_ECC && (p->unique_size > curve_bytes(p->curve) ||
				       p->y_size > curve_bytes(p->curve))) {
		return TPM_RC_SIZE;
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_public_check(const struct vtpm_public *p, const struct vtpm_public *parent,
			   const struct vtpm_sensitive_create *sc)
{
	uint32_t a = p->attributes;
	bool origin = (a & TPMA_OBJECT_SENSITIVE_DATA_ORIGIN) != 0;
	bool sealed = p->type == TPM_ALG_KEYEDHASH &&
		      !(a & (TPMA_OBJECT_SIGN | TPMA_OBJECT_DECRYPT));
	uint32_t rc = check_common(p);

	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	if (parent != NULL) {
		uint32_t pa = parent->attributes;

		if (!(pa & TPMA_OBJECT_FIXED_TPM) && (a & TPMA_OBJECT_FIXED_TPM)) {
			return TPM_RC_ATTRIBUTES;
		}
		if ((pa & TPMA_OBJECT_ENCRYPTED_DUPLICATION) && !(a & TPMA_OBJECT_FIXED_PARENT) &&
		    !(a & TPMA_OBJECT_ENCRYPTED_DUPLICATION)) {
			return TPM_RC_ATTRIBUTES;
		}
	}
	/* sensitiveDataOrigin against sensitive.data (Part 3 TPM2_Create, TPM_RC_ATTRIBUTES). */
	if (sc->data_size != 0) {
		if (origin || is_asym(p->type)) {
			return TPM_RC_ATTRIBUTES;
		}
		if (p->type == TPM_ALG_SYMCIPHER && sc->data_size != p->sym_bits / 8u) {
			return TPM_RC_KEY_SIZE;
		}
	} else if (!origin || sealed) {
		return TPM_RC_ATTRIBUTES;
	}
	if (sc->auth_size > digest_size(p->name_alg)) {
		return TPM_RC_SIZE;
	}
	return TPM_RC_SUCCESS;
}

uint32_t vtpm_sensitive_create_unmarshal(struct mr *r, struct vtpm_sensitive_create *sc)
{
	const uint8_t *d;
	uint16_t n = mr_tpm2b(r, 4u + VTPM_MAX_DIGEST + VTPM_MAX_SYM_DATA, &d);
	struct mr in;

	bastion_memset(sc, 0, sizeof(*sc));
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (n == 0) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	mr_init(&in, d, n);
	sc->auth_size = mr_tpm2b(&in, VTPM_MAX_DIGEST, &sc->auth);
	sc->data_size = mr_tpm2b(&in, VTPM_MAX_SYM_DATA, &sc->data);
	if (in.rc != TPM_RC_SUCCESS || mr_remaining(&in) != 0) {
		return mr_fail(r, TPM_RC_SIZE);
	}
	return TPM_RC_SUCCESS;
}

void vtpm_sensitive_marshal(struct mw *w, const struct vtpm_public *p,
			    const struct vtpm_sensitive *s)
{
	mw_u16(w, p->type);
	mw_tpm2b(w, s->auth, s->auth_size);
	mw_tpm2b(w, s->seed, s->seed_size);
	mw_tpm2b(w, s->data, s->data_size);
}

/* The exact sensitive size a public area implies (0 when any size up to a maximum goes). */
static uint16_t sensitive_size(const struct vtpm_public *p)
{
	switch (p->type) {
	case TPM_ALG_RSA:
		return VTPM_RSA_PRIV_BYTES;
	case TPM_ALG_ECC:
		return curve_bytes(p->curve);
	case TPM_ALG_SYMCIPHER:
		return (uint16_t)(p->sym_bits / 8u);
	default:
		return 0;
	}
}

uint32_t vtpm_sensitive_unmarshal(struct mr *r, const struct vtpm_public *p,
				  struct vtpm_sensitive *s)
{
	uint16_t type = mr_u16(r);
	uint16_t want = sensitive_size(p);

	bastion_memset(s, 0, sizeof(*s));
	if (r->rc != TPM_RC_SUCCESS) {
		return r->rc;
	}
	if (type != p->type) {
		return mr_fail(r, TPM_RC_TYPE);
	}
	if (read_2b(r, digest_size(p->name_alg), s->auth, &s->auth_size) != TPM_RC_SUCCESS ||
	    read_2b(r, VTPM_MAX_DIGEST, s->seed, &s->seed_size) != TPM_RC_SUCCESS ||
	    read_2b(r, p->type == TPM_ALG_KEYEDHASH ? VTPM_MAX_SYM_DATA : VTPM_SENS_MAX, s->data,
		    &s->data_size) != TPM_RC_SUCCESS) {
		mem_wipe(s, sizeof(*s));
		return r->rc;
	}
	/* ECC: a scalar with its leading zero octets stripped is left-padded (the fixed-size
	 * form crypto/ecc.h takes). */
	if (p->type == TPM_ALG_ECC && s->data_size != 0 && s->data_size < want) {
		uint16_t pad = (uint16_t)(want - s->data_size);

		for (uint16_t i = s->data_size; i-- > 0;) {
			s->data[i + pad] = s->data[i];
		}
		bastion_memset(s->data, 0, pad);
		s->data_size = want;
	}
	/* RSA: also the prime p alone (LoadExternal completes it, keygen.h) */
	if (want != 0 && s->data_size != want &&
	    !(p->type == TPM_ALG_RSA && s->data_size == VTPM_RSA_BYTES / 2u)) {
		mem_wipe(s, sizeof(*s));
		return mr_fail(r, TPM_RC_KEY_SIZE);
	}
	return TPM_RC_SUCCESS;
}
