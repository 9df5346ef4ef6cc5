/*
 * Shared pieces of the vTPM benchmark (tests/bench/vtpm_bench*.c): a TPM 2.0 command builder,
 * a bounds-checked response reader and the two engines under test behind one call
 * (vtpm_bench_engines.c), and the command stream each line times (vtpm_bench_ops.c).
 *
 * Byte layouts are those of TPM 2.0 Part 2 (structures) and Part 3 (commands): every command
 * is a 10-byte header (tag, commandSize, commandCode), the handles, for TPM_ST_SESSIONS an
 * authorization area preceded by its u32 size, then the parameters; every response a 10-byte
 * header (tag, responseSize, responseCode), the response handle if any, for TPM_ST_SESSIONS a
 * u32 parameterSize, the parameters, then the response authorization area.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Part 2 constants the benchmark sends (values are facts of the specification). */
#define ST_NO_SESSIONS 0x8001u
#define ST_SESSIONS 0x8002u
#define ST_HASHCHECK 0x8024u

#define CC_CREATE_PRIMARY 0x131u
#define CC_STARTUP 0x144u
#define CC_CREATE 0x153u
#define CC_LOAD 0x157u
#define CC_SIGN 0x15Du
#define CC_UNSEAL 0x15Eu
#define CC_FLUSH_CONTEXT 0x165u
#define CC_LOAD_EXTERNAL 0x167u
#define CC_START_AUTH_SESSION 0x176u
#define CC_VERIFY_SIGNATURE 0x177u
#define CC_GET_RANDOM 0x17Bu
#define CC_HASH 0x17Du
#define CC_PCR_READ 0x17Eu
#define CC_POLICY_PCR 0x17Fu
#define CC_PCR_EXTEND 0x182u
#define CC_POLICY_GET_DIGEST 0x189u

#define RH_OWNER 0x40000001u
#define RH_NULL 0x40000007u
#define RS_PW 0x40000009u

#define ALG_RSA 0x0001u
#define ALG_AES 0x0006u
#define ALG_KEYEDHASH 0x0008u
#define ALG_SHA256 0x000Bu
#define ALG_NULL 0x0010u
#define ALG_RSASSA 0x0014u
#define ALG_ECDSA 0x0018u
#define ALG_ECC 0x0023u
#define ALG_CFB 0x0043u
#define ECC_NIST_P256 0x0003u

#define SE_HMAC 0x00u
#define SE_POLICY 0x01u
#define SE_TRIAL 0x03u

/* TPMA_OBJECT bits (Part 2, 8.3). */
#define OA_FIXED_TPM 0x00000002u
#define OA_FIXED_PARENT 0x00000010u
#define OA_SENSITIVE_DATA_ORIGIN 0x00000020u
#define OA_USER_WITH_AUTH 0x00000040u
#define OA_RESTRICTED 0x00010000u
#define OA_DECRYPT 0x00020000u
#define OA_SIGN 0x00040000u

#define RC_SUCCESS 0x000u
#define RC_COMMAND_CODE 0x143u
/* Not a TPM_RC: the response was malformed or did not match what the benchmark expected. */
#define RC_BENCH_BAD 0xFFFFFFFFu

#define BENCH_BUF 4096u

/* ---- command builder -------------------------------------------------------------------- */

struct cmdbuf {
	uint8_t b[BENCH_BUF];
	size_t n;
};

void cb_start(struct cmdbuf *c, uint16_t tag, uint32_t cc);
void cb_u8(struct cmdbuf *c, uint8_t v);
void cb_u16(struct cmdbuf *c, uint16_t v);
void cb_u32(struct cmdbuf *c, uint32_t v);
void cb_bytes(struct cmdbuf *c, const void *p, size_t len);
/* A TPM2B: u16 size, then the bytes. */
void cb_tpm2b(struct cmdbuf *c, const void *p, size_t len);
/* Authorization area with one empty password session (TPM_RS_PW, Part 1, 19.8.4). */
void cb_auth_pw(struct cmdbuf *c);
/* A TPML_PCR_SELECTION of one SHA-256 bank with the PCRs in mask (bit i = PCR i, 0..23). */
void cb_pcr_sel(struct cmdbuf *c, uint32_t mask);
/* Patches commandSize; call last. */
void cb_finish(struct cmdbuf *c);

/* ---- response reader -------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	bool bad; /* a read ran past the end: every later read returns 0 */
};

uint16_t rd_u16(struct rd *r);
uint32_t rd_u32(struct rd *r);
/* Reads a TPM2B: returns its size and points *data at the bytes (NULL if bad). */
size_t rd_tpm2b(struct rd *r, const uint8_t **data);
void rd_skip(struct rd *r, size_t len);

/* ---- engines ---------------------------------------------------------------------------- */

struct engine {
	const char *name;
	/* Runs one command; returns the response (valid until the next call) and its length.
	 * NULL only if the engine failed to produce any response at all. */
	const uint8_t *(*exec)(struct engine *e, uint8_t *cmd, size_t len, size_t *rsp_len);
	void *impl;
};

/* Creates Bastion's engine (vtpm_init + vtpm_manufacture + vtpm_power_on). 0 or -1. */
int bastion_engine_init(struct engine *e);
/* Creates libtpms's TPM 2.0 with in-memory NV callbacks (no file is touched). 0 or -1. */
int libtpms_engine_init(struct engine *e);
/* "libtpms 0.9.2" */
const char *libtpms_version_string(void);

/*
 * Runs c on e. On return *r reads the response after the 10-byte header. Returns the
 * response code, or RC_BENCH_BAD if the response is shorter than a header or its size field
 * disagrees with its length.
 */
uint32_t tpm_run(struct engine *e, struct cmdbuf *c, struct rd *r);

/* ---- the command stream (vtpm_bench_ops.c) ----------------------------------------------
 *
 * The per-engine state and the operations each benchmark line times. An op returns the TPM_RC
 * of the first command that failed, RC_BENCH_BAD for a malformed or unexpected response, or
 * RC_SUCCESS. A setup that fails records which command failed in fail_cmd/fail_rc, so the
 * table can say why a line is missing.
 */

#define BENCH_SECRET "bastion-bench-sealed-secret"

/* TPM2B contents as Create returned them; room for an RSA-2048 sensitive area that keeps the
 * CRT values (5 x 128 bytes) besides the prime the reference implementation keeps. */
struct key_blob {
	uint8_t priv[1536];
	uint8_t pub[1024];
	size_t priv_len, pub_len;
};

struct bench_tpm {
	struct engine e;
	/* prebuilt commands (the ones whose bytes do not depend on a returned handle are shared
	 * in content, each engine has its own copy so handles can be patched in) */
	struct cmdbuf getrandom, extend, pcrread, hash, start_hmac, start_policy, cp_ecc, cp_rsa;
	struct cmdbuf create_ecc, create_rsa, sign;
	size_t cp_ecc_unique, cp_rsa_unique; /* offsets of the counter in the unique field */
	uint32_t cp_counter;

	uint32_t srk, srk_rc;              /* the storage primary, loaded for the whole run */
	struct key_blob ecc_blob, rsa_blob, seal_blob;
	uint32_t ecc_blob_rc, rsa_blob_rc, seal_blob_rc;
	uint32_t key;                      /* the object a line loaded (sign key, sealed object) */
	struct key_blob sign_pub;          /* its public area (TPM2B_PUBLIC contents) */
	uint8_t seal_name[34];
	size_t seal_name_len;
	uint8_t sig[600];                  /* the last signature (TPMT_SIGNATURE) */
	size_t sig_len;

	const char *fail_cmd;              /* the command that made a setup fail */
	uint32_t fail_rc;
};

extern uint8_t hash_input[1024];
/* The digest PCR_Extend adds and Sign signs. */
extern const uint8_t bench_digest[32];

void bench_tpm_build(struct bench_tpm *s);
void bench_tpm_objects(struct bench_tpm *s, const uint8_t *policy, size_t policy_len);
void build_extend(struct cmdbuf *c, uint32_t pcr, const uint8_t digest[32]);
void build_pcr_read(struct cmdbuf *c, uint32_t mask);
void build_hash(struct cmdbuf *c);
void flush_handle(struct bench_tpm *s, uint32_t handle);
uint32_t policy_pcr_digest(struct bench_tpm *s, uint8_t out[32]);

uint32_t op_getrandom(struct bench_tpm *s);
uint32_t op_extend(struct bench_tpm *s);
uint32_t op_pcrread(struct bench_tpm *s);
uint32_t op_hash(struct bench_tpm *s);
uint32_t op_session(struct bench_tpm *s);
uint32_t op_cp_ecc(struct bench_tpm *s);
uint32_t op_cp_rsa(struct bench_tpm *s);
uint32_t setup_sign_ecc(struct bench_tpm *s);
uint32_t setup_sign_rsa(struct bench_tpm *s);
uint32_t op_sign(struct bench_tpm *s);
void teardown_key(struct bench_tpm *s);
uint32_t setup_create(struct bench_tpm *s);
uint32_t op_create_ecc(struct bench_tpm *s);
uint32_t op_create_rsa(struct bench_tpm *s);
uint32_t setup_unseal(struct bench_tpm *s);
uint32_t op_unseal(struct bench_tpm *s);
