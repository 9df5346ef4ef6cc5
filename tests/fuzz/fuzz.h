/*
 * Shared pieces of the libFuzzer targets (tests/fuzz/fuzz_*.c, tests/fuzz/README.md).
 *
 * Every target is one LLVMFuzzerTestOneInput over the real sources, built by `make fuzz` with
 * clang -fsanitize=fuzzer,address,undefined. An input is consumed front to back through a
 * struct fuzz_in: reads past the end yield zeroes, so every byte string is a valid input and
 * the mutator never wastes executions on a harness-level refusal.
 *
 * A harness-level finding (a model or invariant mismatch rather than a sanitizer report) goes
 * through FUZZ_FAIL, which prints the reason and aborts: libFuzzer then saves the input as a
 * crash artifact like any other crash.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline size_t fuzz_left(const struct fuzz_in *in)
{
	return in->n;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n != 0) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t hi = fuzz_u32(in);

	return hi << 32 | fuzz_u32(in);
}

#define FUZZ_FAIL(...)                                                                           \
	do {                                                                                     \
		fprintf(stderr, "fuzz finding at %s:%d: ", __FILE__, __LINE__);                  \
		fprintf(stderr, __VA_ARGS__);                                                    \
		fputc('\n', stderr);                                                             \
		abort();                                                                         \
	} while (0)
