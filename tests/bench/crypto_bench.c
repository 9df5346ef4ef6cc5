/*
 * crypto_bench: throughput and operation cost of Bastion's crypto/ next to OpenSSL 3, measured
 * in the same process on the same inputs. Prints one line per primitive: ours, OpenSSL's and
 * the ratio ours/OpenSSL in throughput terms (above 1.0: faster than OpenSSL). Each figure is
 * the best of BENCH_RUNS runs (the minimum filters out interrupts and frequency ramps).
 * Numbers, not verdicts; tests/bench/README.md says how to read them and lists the targets
 * issue #6 set (SHA >= 0.7, AES with AES-NI >= 0.5, ECC >= 0.5, RSA private op >= 0.3).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/aes.h"
#include "crypto/aes_modes.h"
#include "crypto/gcm.h"
#include "crypto/hash.h"
#include "crypto/simd.h"
#include "tests/bench/crypto_bench.h"

#define BENCH_RUNS 5
#define MSG_BYTES 16384u
#define MSG_REPS 200u

static uint8_t msg[MSG_BYTES];
static uint8_t out[MSG_BYTES + 64];

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds for one call of fn(arg), best of BENCH_RUNS runs of reps calls. */
double bench_best(void (*fn)(void *), void *arg, unsigned int reps)
{
	double best = 1e30;

	for (int r = 0; r < BENCH_RUNS; r++) {
		double t0 = bench_now();

		for (unsigned int i = 0; i < reps; i++) {
			fn(arg);
		}
		t0 = (bench_now() - t0) / reps;
		if (t0 < best) {
			best = t0;
		}
	}
	return best;
}

void bench_row_throughput(const char *name, double ours_s, double theirs_s, size_t bytes)
{
	printf("%-34s %10.1f MB/s %10.1f MB/s %8.2f\n", name, bytes / ours_s / 1e6, bytes / theirs_s / 1e6,
	       theirs_s / ours_s);
}

void bench_row_ops(const char *name, double ours_s, double theirs_s)
{
	printf("%-34s %10.1f op/s %10.1f op/s %8.2f\n", name, 1.0 / ours_s, 1.0 / theirs_s, theirs_s / ours_s);
}

/* ---- hashes -------------------------------------------------------------------------------- */

struct hash_case {
	enum hash_id ours;
	const EVP_MD *theirs;
};

static void ours_hash(void *arg)
{
	const struct hash_case *c = arg;

	hash_oneshot(c->ours, msg, sizeof(msg), out);
}

static void theirs_hash(void *arg)
{
	const struct hash_case *c = arg;
	unsigned int len = 0;

	EVP_Digest(msg, sizeof(msg), out, &len, c->theirs, NULL);
}

static void bench_hashes(void)
{
	struct hash_case c256 = { HASH_SHA256, EVP_sha256() };
	struct hash_case c384 = { HASH_SHA384, EVP_sha384() };

	bench_row_throughput("SHA-256 (16 KiB)", bench_best(ours_hash, &c256, MSG_REPS),
			     bench_best(theirs_hash, &c256, MSG_REPS), sizeof(msg));
	bench_row_throughput("SHA-384 (16 KiB)", bench_best(ours_hash, &c384, MSG_REPS),
			     bench_best(theirs_hash, &c384, MSG_REPS), sizeof(msg));
}

/* ---- AES ----------------------------------------------------------------------------------- */

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t iv[16] = { 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
				0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF };
static struct aes_ctx aes128;
static struct gcm_ctx gcm256;
static EVP_CIPHER_CTX *evp;

static void ours_cfb(void *arg)
{
	(void)arg;
	aes_cfb_encrypt(&aes128, iv, msg, out, sizeof(msg));
}

static void theirs_cfb(void *arg)
{
	int len = 0;

	(void)arg;
	EVP_EncryptInit_ex(evp, EVP_aes_128_cfb128(), NULL, key, iv);
	EVP_EncryptUpdate(evp, out, &len, msg, (int)sizeof(msg));
}

static void ours_gcm(void *arg)
{
	(void)arg;
	gcm_encrypt(&gcm256, iv, 12, NULL, 0, msg, out, sizeof(msg), out + MSG_BYTES, 16);
}

static void theirs_gcm(void *arg)
{
	int len = 0;

	(void)arg;
	EVP_EncryptInit_ex(evp, EVP_aes_256_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(evp, out, &len, msg, (int)sizeof(msg));
	EVP_EncryptFinal_ex(evp, out + len, &len);
	EVP_CIPHER_CTX_ctrl(evp, EVP_CTRL_GCM_GET_TAG, 16, out + MSG_BYTES);
}

static void bench_aes(void)
{
	evp = EVP_CIPHER_CTX_new();
	if (evp == NULL || aes_init(&aes128, key, 16) != 0 || gcm_init(&gcm256, key, 32) != 0) {
		printf("AES: setup failed\n");
		return;
	}
	bench_row_throughput(crypto_simd_usable() ? "AES-128-CFB (AES-NI, 16 KiB)" : "AES-128-CFB (portable, 16 KiB)",
			     bench_best(ours_cfb, NULL, MSG_REPS), bench_best(theirs_cfb, NULL, MSG_REPS),
			     sizeof(msg));
	bench_row_throughput(crypto_simd_usable() ? "AES-256-GCM (AES-NI, 16 KiB)" : "AES-256-GCM (portable, 16 KiB)",
			     bench_best(ours_gcm, NULL, MSG_REPS), bench_best(theirs_gcm, NULL, MSG_REPS),
			     sizeof(msg));
	aes_wipe(&aes128);
	gcm_wipe(&gcm256);
	EVP_CIPHER_CTX_free(evp);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(msg); i++) {
		msg[i] = (uint8_t)(i * 131 + 7);
	}
	printf("crypto_bench: Bastion crypto/ vs OpenSSL %s, same process, best of %d runs\n",
	       OpenSSL_version(OPENSSL_VERSION), BENCH_RUNS);
	printf("%-34s %15s %15s %8s\n", "primitive", "ours", "OpenSSL", "ratio");
	if (getenv("OPENSSL_ia32cap") == NULL) {
		printf("note: OpenSSL uses SHA-NI where the CPU has it; Bastion's SHA is portable C. "
		       "OPENSSL_ia32cap=:~0x20000000 compares against OpenSSL without SHA-NI.\n");
	}
	bench_hashes();
	bench_aes();
	bench_ecc();
	bench_rsa();
	return 0;
}
