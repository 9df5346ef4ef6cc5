/*
 * vtpm_bench: the command builder, the response reader and the two engines (Bastion's vtpm/
 * and libtpms), each behind struct engine (vtpm_bench.h).
 *
 * libtpms keeps its NV in files unless the embedder registers NV callbacks; the ones here keep
 * each named blob in memory, so the benchmark never touches the disk and every run starts from
 * a freshly manufactured TPM (loaddata answers TPM_RETRY, libtpms's "no such blob yet").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>

#include "tests/bench/vtpm_bench.h"
#include "vtpm/vtpm.h"

/* ---- command builder -------------------------------------------------------------------- */

/* The builder is only fed the benchmark's own fixed commands, far below BENCH_BUF; overflow is a
 * bug in the benchmark, so it aborts rather than truncating silently. */
static void cb_need(struct cmdbuf *c, size_t len)
{
	if (len > sizeof(c->b) - c->n) {
		fprintf(stderr, "vtpm_bench: command builder overflow\n");
		abort();
	}
}

void cb_start(struct cmdbuf *c, uint16_t tag, uint32_t cc)
{
	c->n = 0;
	cb_u16(c, tag);
	cb_u32(c, 0); /* commandSize, patched by cb_finish */
	cb_u32(c, cc);
}

void cb_u8(struct cmdbuf *c, uint8_t v)
{
	cb_need(c, 1);
	c->b[c->n++] = v;
}

void cb_u16(struct cmdbuf *c, uint16_t v)
{
	cb_u8(c, (uint8_t)(v >> 8));
	cb_u8(c, (uint8_t)v);
}

void cb_u32(struct cmdbuf *c, uint32_t v)
{
	cb_u16(c, (uint16_t)(v >> 16));
	cb_u16(c, (uint16_t)v);
}

void cb_bytes(struct cmdbuf *c, const void *p, size_t len)
{
	cb_need(c, len);
	if (len) {
		memcpy(c->b + c->n, p, len);
	}
	c->n += len;
}

void cb_tpm2b(struct cmdbuf *c, const void *p, size_t len)
{
	cb_u16(c, (uint16_t)len);
	cb_bytes(c, p, len);
}

void cb_auth_pw(struct cmdbuf *c)
{
	cb_u32(c, 9);     /* authorizationSize: one TPMS_AUTH_COMMAND of 9 bytes */
	cb_u32(c, RS_PW); /* sessionHandle */
	cb_u16(c, 0);     /* nonce: empty */
	cb_u8(c, 0);      /* sessionAttributes */
	cb_u16(c, 0);     /* hmac: the empty password */
}

void cb_pcr_sel(struct cmdbuf *c, uint32_t mask)
{
	cb_u32(c, 1); /* count */
	cb_u16(c, ALG_SHA256);
	cb_u8(c, 3); /* sizeofSelect: PCRs 0..23 */
	cb_u8(c, (uint8_t)mask);
	cb_u8(c, (uint8_t)(mask >> 8));
	cb_u8(c, (uint8_t)(mask >> 16));
}

void cb_finish(struct cmdbuf *c)
{
	c->b[2] = (uint8_t)(c->n >> 24);
	c->b[3] = (uint8_t)(c->n >> 16);
	c->b[4] = (uint8_t)(c->n >> 8);
	c->b[5] = (uint8_t)c->n;
}

/* ---- response reader -------------------------------------------------------------------- */

static const uint8_t *rd_take(struct rd *r, size_t len)
{
	if (r->bad || len > r->n - r->off) {
		r->bad = true;
		return NULL;
	}
	r->off += len;
	return r->p + r->off - len;
}

uint16_t rd_u16(struct rd *r)
{
	const uint8_t *q = rd_take(r, 2);

	return q ? (uint16_t)(q[0] << 8 | q[1]) : 0;
}

uint32_t rd_u32(struct rd *r)
{
	const uint8_t *q = rd_take(r, 4);

	return q ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3] : 0;
}

size_t rd_tpm2b(struct rd *r, const uint8_t **data)
{
	size_t len = rd_u16(r);

	*data = rd_take(r, len);
	return *data ? len : 0;
}

void rd_skip(struct rd *r, size_t len)
{
	(void)rd_take(r, len);
}

/* TPM_RC_RETRY (Part 2, 6.6.3): "the TPM was not able to start the command"; a client sends
 * the same command again (tpm2-tss does). libtpms answers it to some ECC key generations. */
#define RC_RETRY 0x922u

uint32_t tpm_run(struct engine *e, struct cmdbuf *c, struct rd *r)
{
	size_t len = 0;
	const uint8_t *rsp = e->exec(e, c->b, c->n, &len);

	for (int tries = 0; tries < 8 && rsp != NULL && len >= 10 && rsp[6] == 0 && rsp[7] == 0 &&
			    rsp[8] == (RC_RETRY >> 8) && rsp[9] == (RC_RETRY & 0xFF);
	     tries++) {
		rsp = e->exec(e, c->b, c->n, &len);
	}

	r->p = rsp;
	r->n = len;
	r->off = 0;
	r->bad = false;
	if (rsp == NULL || len < 10) {
		r->bad = true;
		return RC_BENCH_BAD;
	}
	rd_skip(r, 2);
	if (rd_u32(r) != len) {
		r->bad = true;
		return RC_BENCH_BAD;
	}
	return rd_u32(r);
}

/* ---- Bastion ---------------------------------------------------------------------------- */

struct bastion_impl {
	struct vtpm *t;
	uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
};

static int host_entropy(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(out, len, 0);

		if (n <= 0) {
			return -1;
		}
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t host_clock_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const uint8_t *bastion_exec(struct engine *e, uint8_t *cmd, size_t len, size_t *rsp_len)
{
	struct bastion_impl *b = e->impl;

	vtpm_execute(b->t, 0, cmd, len, b->rsp, sizeof(b->rsp), rsp_len);
	return b->rsp;
}

int bastion_engine_init(struct engine *e)
{
	static struct bastion_impl impl;
	struct vtpm_platform plat = { host_entropy, host_clock_ms, NULL };
	size_t size = (vtpm_size() + 15u) & ~(size_t)15u;

	impl.t = aligned_alloc(16, size);
	if (impl.t == NULL || vtpm_init(impl.t, &plat) != 0 || vtpm_manufacture(impl.t) != 0) {
		return -1;
	}
	vtpm_power_on(impl.t);
	e->name = "bastion";
	e->exec = bastion_exec;
	e->impl = &impl;
	return 0;
}

/* ---- libtpms ---------------------------------------------------------------------------- */

/* libtpms stores a handful of named blobs (permanent state, volatile state, save state). */
#define NV_SLOTS 8

static struct nv_blob {
	char name[64];
	unsigned char *data;
	uint32_t len;
} nv_blobs[NV_SLOTS];

static struct nv_blob *nv_find(const char *name, bool create)
{
	for (int i = 0; i < NV_SLOTS; i++) {
		if (nv_blobs[i].data != NULL && strcmp(nv_blobs[i].name, name) == 0) {
			return &nv_blobs[i];
		}
	}
	if (!create) {
		return NULL;
	}
	for (int i = 0; i < NV_SLOTS; i++) {
		if (nv_blobs[i].data == NULL && strlen(name) < sizeof(nv_blobs[i].name)) {
			strcpy(nv_blobs[i].name, name);
			return &nv_blobs[i];
		}
	}
	return NULL;
}

static TPM_RESULT nv_init(void)
{
	return TPM_SUCCESS;
}

/* libtpms frees *data with free(). */
static TPM_RESULT nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number, const char *name)
{
	struct nv_blob *b = nv_find(name, false);

	(void)tpm_number;
	if (b == NULL) {
		return TPM_RETRY; /* not stored yet: libtpms manufactures */
	}
	*data = malloc(b->len ? b->len : 1);
	if (*data == NULL) {
		return TPM_FAIL;
	}
	memcpy(*data, b->data, b->len);
	*length = b->len;
	return TPM_SUCCESS;
}

static TPM_RESULT nv_store(const unsigned char *data, uint32_t length, uint32_t tpm_number, const char *name)
{
	struct nv_blob *b = nv_find(name, true);
	unsigned char *copy;

	(void)tpm_number;
	if (b == NULL || (copy = malloc(length ? length : 1)) == NULL) {
		return TPM_FAIL;
	}
	memcpy(copy, data, length);
	free(b->data);
	b->data = copy;
	b->len = length;
	return TPM_SUCCESS;
}

static TPM_RESULT nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	struct nv_blob *b = nv_find(name, false);

	(void)tpm_number;
	if (b == NULL) {
		return must_exist ? TPM_FAIL : TPM_SUCCESS;
	}
	free(b->data);
	b->data = NULL;
	return TPM_SUCCESS;
}

static TPM_RESULT io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT io_locality(TPM_MODIFIER_INDICATOR *locality, uint32_t tpm_number)
{
	(void)tpm_number;
	*locality = 0;
	return TPM_SUCCESS;
}

static TPM_RESULT io_presence(TPM_BOOL *present, uint32_t tpm_number)
{
	(void)tpm_number;
	*present = 0;
	return TPM_SUCCESS;
}

struct libtpms_impl {
	unsigned char *buf; /* libtpms's response buffer, grown by TPMLIB_Process */
	uint32_t cap;
};

static const uint8_t *libtpms_exec(struct engine *e, uint8_t *cmd, size_t len, size_t *rsp_len)
{
	struct libtpms_impl *l = e->impl;
	uint32_t out_len = 0;

	if (TPMLIB_Process(&l->buf, &out_len, &l->cap, cmd, (uint32_t)len) != TPM_SUCCESS) {
		return NULL;
	}
	*rsp_len = out_len;
	return l->buf;
}

int libtpms_engine_init(struct engine *e)
{
	static struct libtpms_impl impl;
	static struct libtpms_callbacks cbs = {
		.sizeOfStruct = sizeof(struct libtpms_callbacks),
		.tpm_nvram_init = nv_init,
		.tpm_nvram_loaddata = nv_load,
		.tpm_nvram_storedata = nv_store,
		.tpm_nvram_deletename = nv_delete,
		.tpm_io_init = io_init,
		.tpm_io_getlocality = io_locality,
		.tpm_io_getphysicalpresence = io_presence,
	};

	if (TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS ||
	    TPMLIB_RegisterCallbacks(&cbs) != TPM_SUCCESS || TPMLIB_MainInit() != TPM_SUCCESS) {
		return -1;
	}
	e->name = "libtpms";
	e->exec = libtpms_exec;
	e->impl = &impl;
	return 0;
}

const char *libtpms_version_string(void)
{
	static char s[32];
	uint32_t v = TPMLIB_GetVersion();

	snprintf(s, sizeof(s), "libtpms %u.%u.%u", (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF);
	return s;
}
