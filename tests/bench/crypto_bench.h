/* Shared helpers of the crypto benchmark (tests/bench/crypto_bench*.c). */
#pragma once

#include <stddef.h>

double bench_now(void);
/* Seconds per call of fn(arg): best of several runs of reps calls. */
double bench_best(void (*fn)(void *), void *arg, unsigned int reps);
void bench_row_throughput(const char *name, double ours_s, double theirs_s, size_t bytes);
void bench_row_ops(const char *name, double ours_s, double theirs_s);

/* tests/bench/crypto_bench_pk.c: ECDSA/ECDH P-256, RSA-2048. */
void bench_ecc(void);
void bench_rsa(void);
