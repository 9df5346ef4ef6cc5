# crypto/: Bastion's own cryptography (docs/crypto.md). Every crypto/*.c file is portable C that
# builds freestanding into the kernel and, unchanged, into the host test binary
# build/host/crypto_tests (tests/crypto/, linked with OpenSSL as the oracle).
# Files that need SIMD registers (AES-NI, PCLMULQDQ) end in _simd.c: the kernel builds them
# without -mgeneral-regs-only and calls them only between crypto_simd_begin()/end().
CRYPTO_SRCS := $(sort $(wildcard crypto/*.c))
CRYPTO_SIMD_SRCS := $(filter %_simd.c,$(CRYPTO_SRCS))
KERNEL_C_SRCS += $(CRYPTO_SRCS)
