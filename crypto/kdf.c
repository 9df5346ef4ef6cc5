/*
 * TPM 2.0 KDFa and KDFe (TPM 2.0 Part 1 §11.4.10). See crypto/kdf.h.
 */
#include "crypto/kdf.h"

#include "crypto/hmac.h"
#include "kernel/string.h"

static void put_be32(uint8_t p[4], uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Whether the label needs the terminating 0x00 appended (it is public data). */
static int label_needs_zero(const uint8_t *label, size_t label_len)
{
	return label_len == 0 || label[label_len - 1] != 0;
}

/* Appends as much of block as still fits in out[out_len]. */
static void emit(uint8_t *out, size_t out_len, size_t *done, const uint8_t *block,
		 size_t block_len)
{
	size_t take = out_len - *done;

	if (take > block_len) {
		take = block_len;
	}
	bastion_memcpy(out + *done, block, take);
	*done += take;
}

static void mask_first_octet(uint8_t *out, uint32_t size_in_bits)
{
	if ((size_in_bits & 7) != 0) {
		out[0] &= (uint8_t)((1u << (size_in_bits & 7)) - 1);
	}
}

/* One piece of the SP 800-108 fixed input data. */
struct part {
	const uint8_t *p;
	size_t n;
};

/*
 * SP 800-108 §5.1 (counter mode, 32-bit counter before the fixed data): block i (from 1) is
 * HMAC(key, [i]32 || parts...), out_len bytes of the concatenation are written.
 */
static void counter_hmac(enum hash_id id, const uint8_t *key, size_t key_len,
			 const struct part *parts, size_t nparts, uint8_t *out, size_t out_len)
{
	struct hmac_ctx h;
	uint8_t block[HASH_MAX_DIGEST_SIZE];
	uint8_t ctr[4];
	size_t done = 0;

	hmac_init(&h, id, key, key_len);
	for (uint32_t i = 1; done < out_len; i++) {
		put_be32(ctr, i);
		hmac_update(&h, ctr, 4);
		for (size_t k = 0; k < nparts; k++) {
			hmac_update(&h, parts[k].p, parts[k].n);
		}
		hmac_final(&h, block);
		emit(out, out_len, &done, block, h.alg->digest_size);
	}
	hmac_wipe(&h);
	mem_wipe(block, sizeof(block));
}

int kdf_sp800108_counter_hmac(enum hash_id id, const uint8_t *key, size_t key_len,
			      const uint8_t *fixed, size_t fixed_len, uint8_t *out, size_t out_len)
{
	struct part part = { fixed, fixed_len };

	if (hash_alg_get(id) == NULL) {
		return KDF_ERR_ALG;
	}
	if (out_len == 0 || out_len > KDF_MAX_BITS / 8) {
		return KDF_ERR_SIZE;
	}
	counter_hmac(id, key, key_len, &part, 1, out, out_len);
	return 0;
}

int kdf_kdfa(enum hash_id id, const uint8_t *key, size_t key_len, const uint8_t *label,
	     size_t label_len, const uint8_t *context_u, size_t context_u_len,
	     const uint8_t *context_v, size_t context_v_len, uint32_t size_in_bits, uint8_t *out)
{
	static const uint8_t zero = 0;
	uint8_t bits[4];
	/* Fixed input data: Label || 0x00 || ContextU || ContextV || [sizeInBits]32. */
	struct part parts[5] = {
		{ label, label_len },
		{ &zero, label_needs_zero(label, label_len) ? 1u : 0u },
		{ context_u, context_u_len },
		{ context_v, context_v_len },
		{ bits, 4 },
	};

	if (hash_alg_get(id) == NULL) {
		return KDF_ERR_ALG;
	}
	if (size_in_bits == 0 || size_in_bits > KDF_MAX_BITS) {
		return KDF_ERR_SIZE;
	}
	put_be32(bits, size_in_bits);
	counter_hmac(id, key, key_len, parts, 5, out, ((size_t)size_in_bits + 7) / 8);
	mask_first_octet(out, size_in_bits);
	return 0;
}

int kdf_kdfe(enum hash_id id, const uint8_t *z, size_t z_len, const uint8_t *label,
	     size_t label_len, const uint8_t *party_u, size_t party_u_len, const uint8_t *party_v,
	     size_t party_v_len, uint32_t size_in_bits, uint8_t *out)
{
	static const uint8_t zero = 0;
	const struct hash_alg *alg = hash_alg_get(id);
	struct hash_ctx hc;
	uint8_t block[HASH_MAX_DIGEST_SIZE];
	uint8_t ctr[4];
	size_t out_len = ((size_t)size_in_bits + 7) / 8;
	size_t done = 0;
	int add_zero = label_needs_zero(label, label_len);

	if (alg == NULL) {
		return KDF_ERR_ALG;
	}
	if (size_in_bits == 0 || size_in_bits > KDF_MAX_BITS) {
		return KDF_ERR_SIZE;
	}
	for (uint32_t i = 1; done < out_len; i++) {
		put_be32(ctr, i);
		hash_init(&hc, id);
		hash_update(&hc, ctr, 4);
		hash_update(&hc, z, z_len);
		hash_update(&hc, label, label_len);
		if (add_zero) {
			hash_update(&hc, &zero, 1);
		}
		hash_update(&hc, party_u, party_u_len);
		hash_update(&hc, party_v, party_v_len);
		hash_final(&hc, block);
		emit(out, out_len, &done, block, alg->digest_size);
	}
	mask_first_octet(out, size_in_bits);
	mem_wipe(block, sizeof(block));
	return 0;
}
