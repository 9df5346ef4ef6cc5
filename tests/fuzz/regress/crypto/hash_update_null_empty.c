/*
 * Reproducer (found by fuzz_vtpm_execute under clang's UBSan): sha1/sha256/sha512_update()
 * with data == NULL and len == 0 while a partial block is buffered compute `p += take` with
 * p == NULL and take == 0. NULL + 0 is undefined in C (C11 6.5.6p8); clang's
 * -fsanitize=pointer-overflow reports it, GCC's UBSan does not, so the host tests never saw
 * it. The HMAC-DRBG reaches it on every generate without additional input (drbg.c:36, from
 * vtpm_power_on via vtpm_rng_generate).
 *
 *   clang -std=gnu11 -I. -DBASTION_HOST -fsanitize=undefined -fno-sanitize-recover=all \
 *       tests/fuzz/regress/crypto/hash_update_null_empty.c crypto/sha1.c crypto/sha256.c \
 *       crypto/sha512.c kernel/string.c -o /tmp/hash_null && /tmp/hash_null
 *
 * Exits 0 once fixed; aborts with "applying zero offset to null pointer" before.
 * The fix (crypto/, not tests/fuzz): return early from each *_update when len == 0, before
 * any pointer arithmetic.
 */
#include <stdint.h>

#include "crypto/hash.h"

int main(void)
{
	struct sha1_state s1;
	struct sha256_state s256;
	struct sha512_state s512;
	static const uint8_t three[3] = { 'a', 'b', 'c' };

	sha1_init(&s1);
	sha1_update(&s1, three, sizeof(three));
	sha1_update(&s1, NULL, 0);
	sha256_init(&s256);
	sha256_update(&s256, three, sizeof(three));
	sha256_update(&s256, NULL, 0);
	sha512_init(&s512);
	sha512_update(&s512, three, sizeof(three));
	sha512_update(&s512, NULL, 0);
	return 0;
}
