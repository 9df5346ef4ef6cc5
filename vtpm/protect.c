/* Private-area protection under a storage parent: see protect.h. */
#include "vtpm/protect.h"

#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/ct.h"
#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "kernel/string.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"

static const uint8_t storage_label[] = { 'S', 'T', 'O', 'R', 'A', 'G', 'E' };
static const uint8_t integrity_label[] = { 'I', 'N', 'T', 'E', 'G', 'R', 'I', 'T', 'Y' };

struct keys {
	uint8_t sym[32];
	uint8_t mac[VTPM_MAX_DIGEST];
	uint8_t tag[VTPM_MAX_DIGEST];
	struct aes_ctx aes;
	const struct vtpm_hash_info *hi;
};

static int derive(const struct vtpm_key *parent, const struct vtpm_key *child, struct keys *k)
{
	int i = vtpm_hash_index(parent->pub.name_alg);

	if (i < 0 || parent->sens.seed_size == 0 || parent->pub.sym_alg != TPM_ALG_AES) {
		return -1;
	}
	k->hi = vtpm_hash_info((unsigned int)i);
	if (kdf_kdfa(k->hi->id, parent->sens.seed, parent->sens.seed_size, storage_label,
		     sizeof(storage_label), child->name, child->name_size, NULL, 0,
		     parent->pub.sym_bits, k->sym) != 0 ||
	    kdf_kdfa(k->hi->id, parent->sens.seed, parent->sens.seed_size, integrity_label,
		     sizeof(integrity_label), NULL, 0, NULL, 0, k->hi->size * 8u, k->mac) != 0 ||
	    aes_init(&k->aes, k->sym, parent->pub.sym_bits / 8u) != 0) {
		return -1;
	}
	return 0;
}

static int outer_hmac(struct keys *k, const uint8_t *enc, size_t len,
		      const struct vtpm_key *child)
{
	struct hmac_ctx h;

	if (hmac_init(&h, k->hi->id, k->mac, k->hi->size) != 0) {
		return -1;
	}
	hmac_update(&h, enc, len);
	hmac_update(&h, child->name, child->name_size);
	hmac_final(&h, k->tag);
	hmac_wipe(&h);
	return 0;
}

uint32_t vtpm_protect(const struct vtpm_key *parent, const struct vtpm_key *child,
		      struct mw *w, uint8_t *tmp)
{
	static const uint8_t iv[AES_BLOCK_SIZE];
	struct keys k;
	struct mw sw;
	uint32_t rc = TPM_RC_FAILURE;

	mw_init(&sw, tmp, VTPM_PRIVATE_MAX);
	mw_u16(&sw, 0);
	vtpm_sensitive_marshal(&sw, &child->pub, &child->sens);
	if (!sw.overflow && derive(parent, child, &k) == 0) {
		put_be16(tmp, (uint16_t)(sw.off - 2));
		aes_cfb_encrypt(&k.aes, iv, tmp, tmp, sw.off);
		if (outer_hmac(&k, tmp, sw.off, child) == 0 &&
		    2u + 2u + k.hi->size + sw.off <= VTPM_PRIVATE_MAX) {
			mw_u16(w, (uint16_t)(2u + k.hi->size + sw.off));
			mw_tpm2b(w, k.tag, k.hi->size);
			mw_bytes(w, tmp, sw.off);
			rc = TPM_RC_SUCCESS;
		}
	}
	mem_wipe(&k, sizeof(k));
	mem_wipe(tmp, VTPM_PRIVATE_MAX);
	return rc;
}

uint32_t vtpm_unprotect(const struct vtpm_key *parent, struct vtpm_key *child,
			const uint8_t *priv, size_t len, uint8_t *tmp)
{
	static const uint8_t iv[AES_BLOCK_SIZE];
	struct keys k;
	struct mr r;
	size_t enc_len;
	uint32_t rc;

	if (len < 2 || len > VTPM_PRIVATE_MAX) {
		return TPM_RC_SIZE;
	}
	if (derive(parent, child, &k) != 0) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_FAILURE;
	}
	/* integrity: a TPM2B_DIGEST of the parent's nameAlg size, checked first */
	if (be16(priv) != k.hi->size || len < 2u + k.hi->size + 2u) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_INTEGRITY;
	}
	enc_len = len - 2u - k.hi->size;
	if (outer_hmac(&k, priv + 2 + k.hi->size, enc_len, child) != 0) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_FAILURE;
	}
	if (!ct_memeq(k.tag, priv + 2, k.hi->size)) {
		mem_wipe(&k, sizeof(k));
		return TPM_RC_INTEGRITY;
	}
	aes_cfb_decrypt(&k.aes, iv, priv + 2 + k.hi->size, tmp, enc_len);
	mem_wipe(&k, sizeof(k));
	/* exactly one TPM2B_SENSITIVE */
	if (be16(tmp) != enc_len - 2u) {
		mem_wipe(tmp, enc_len);
		return TPM_RC_INTEGRITY;
	}
	mr_init(&r, tmp + 2, enc_len - 2u);
	rc = vtpm_sensitive_unmarshal(&r, &child->pub, &child->sens);
	if (rc == TPM_RC_SUCCESS && mr_remaining(&r) != 0) {
		rc = TPM_RC_SIZE;
		mem_wipe(&child->sens, sizeof(child->sens));
	}
	mem_wipe(tmp, enc_len);
	child->has_sensitive = rc == TPM_RC_SUCCESS;
	return rc;
}
