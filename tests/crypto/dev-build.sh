#!/usr/bin/env bash
# Builds a crypto test binary from just the files named, with the flags `make` uses, so one
# primitive can be developed while other crypto/ files are mid-edit.
#   tests/crypto/dev-build.sh test OUT crypto/sha256.c ... tests/crypto/sha_test.c
#       ASan/UBSan -O2, linked with OpenSSL (like build/host/crypto_tests)
#   tests/crypto/dev-build.sh ct OUT crypto/aes.c ... tests/crypto/ct/aes_ct.c
#       -O2, no sanitizers (like build/host/crypto_ct; run it under valgrind)
set -euo pipefail
kind=${1:?usage: dev-build.sh test|ct OUT FILE.c...}
out=${2:?usage: dev-build.sh test|ct OUT FILE.c...}
shift 2
warn=(-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla
	-Wimplicit-fallthrough -Wformat=2 -Wundef)
common=(tests/crypto/simd_host.c kernel/string.c tests/ktest/ktest.c tests/host/host_main.c
	tests/host/host_panic.c)
case $kind in
test)
	exec gcc -std=gnu11 -O2 -g "${warn[@]}" -I. -DBASTION_HOST -DCONFIG_DEBUG=1 \
		-DCONFIG_FAULT_INJECT=1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -msse4.1 -maes -mpclmul -o "$out" "$@" "${common[@]}" \
		tests/crypto/vectors.c -lcrypto ;;
ct)
	exec gcc -std=gnu11 -O2 -g "${warn[@]}" -I. -DBASTION_HOST -DCONFIG_DEBUG=1 \
		-msse4.1 -maes -mpclmul -o "$out" "$@" "${common[@]}" ;;
*)
	echo "dev-build.sh: kind must be test or ct" >&2
	exit 2 ;;
esac
