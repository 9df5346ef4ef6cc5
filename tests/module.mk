# tests/: the ktest framework, in-kernel tests (test image only) and host unit tests.
KTEST_KERNEL_SRCS += tests/ktest/ktest.c tests/ktest/ktest_kernel.c \
	$(sort $(wildcard tests/kernel/*_test.c))
HOST_TEST_SRCS += $(sort $(wildcard tests/host/*_test.c)) tests/host/host_panic.c
