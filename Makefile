# Bastion build.
#
#   make            build build/bastion.elf, build/bastion.igvm and the host tools
#   make run        build and boot Bastion in QEMU (serial on stdio; Ctrl-A X quits)
#   make test       host unit tests, in-kernel tests in QEMU, script tests; last line is
#                   "N passed, N failed"
#   make DEBUG=1 …  the same with a debug build in build/debug/
#   make clean
#
# `make`, `make run` and `make test` first run scripts/deps, which installs missing Debian
# packages (as root) and does nothing when everything is present.

# ---- Section 1: configuration ---------------------------------------------------------------
DEBUG ?= 0
MEM ?= 512
SMP ?= 1
# The guest firmware `make run` starts under Bastion (empty: Bastion alone).
GUEST_FIRMWARE ?= /usr/share/ovmf/OVMF.fd
CC ?= gcc
HOSTCC ?= gcc
LD ?= ld
NASM ?= nasm
NM ?= nm
QEMU ?= qemu-system-x86_64

ifeq ($(DEBUG),1)
O ?= build/debug
LOG_LEVEL ?= LOG_LEVEL_VERBOSE
KOPT := -Og
KDEFS := -DCONFIG_DEBUG=1 -DCONFIG_FAULT_INJECT=1
else ifeq ($(DEBUG),0)
O ?= build
LOG_LEVEL ?= LOG_LEVEL_INFO
KOPT := -O2
KDEFS :=
else
$(error DEBUG must be 0 or 1, not '$(DEBUG)')
endif

# V=1 prints every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-8s %s\n' $(1) $(2)
endif

ifeq ($(CC),cc)
CC := gcc
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo nogit)

# ---- Section 2: module fragments --------------------------------------------------------------
include arch/x86/module.mk
include arch/x86/svm/module.mk
include arch/x86/snp/module.mk
include kernel/module.mk
include mm/module.mk
include protocols/module.mk
include igvm/module.mk
include crypto/module.mk
include vtpm/module.mk
include tests/module.mk
include tests/guest/conformance/build.mk

# ---- Section 3: flags ---------------------------------------------------------------------------
WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wimplicit-fallthrough -Wformat=2 -Wundef
KCFLAGS := -std=gnu11 $(KOPT) -g $(WARN) $(KDEFS) -DLOG_LEVEL=$(LOG_LEVEL) \
	-DBASTION_VERSION='"$(VERSION) ($(GIT_REV))"' \
	-ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-strict-aliasing -fno-common \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-fstack-protector-strong -mstack-protector-guard=global -fcf-protection=none \
	-I. -MMD -MP
KNASMFLAGS := -f elf64 -w+error -I./
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-dynamic-linker \
	--build-id=none -T $(O)/linker.ld
HOSTCFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -MMD -MP
HOSTTEST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -MMD -MP -DBASTION_HOST \
	-DCONFIG_DEBUG=1 -DCONFIG_FAULT_INJECT=1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# crypto/*_simd.c use SSE/AES-NI/PCLMULQDQ registers: built without -mgeneral-regs-only and
# only ever called between crypto_simd_begin() and crypto_simd_end() (crypto/simd.h).
SIMD_CFLAGS := -msse4.1 -maes -mpclmul
$(O)/prod/crypto/%_simd.o $(O)/test/crypto/%_simd.o: KCFLAGS := $(filter-out -mgeneral-regs-only,$(KCFLAGS)) $(SIMD_CFLAGS)

# ---- Section 4: kernel images ------------------------------------------------------------------
# Two images from the same sources: the production image, and the test image which is built
# with CONFIG_KTEST and links the in-kernel tests. The production image contains no test code.
PROD_OBJS := $(addprefix $(O)/prod/,$(KERNEL_C_SRCS:.c=.o) $(KERNEL_ASM_SRCS:.asm=.o))
TEST_OBJS := $(addprefix $(O)/test/,$(KERNEL_C_SRCS:.c=.o) $(KERNEL_ASM_SRCS:.asm=.o) \
	$(KTEST_KERNEL_SRCS:.c=.o) $(KTEST_KERNEL_ASM_SRCS:.asm=.o))

TOOLS := $(O)/tools/igvmbuild $(O)/tools/igvmdump $(O)/tools/igvmload \
	$(O)/tools/igvmmeasure $(O)/tools/qemu_reset_rom.bin

.PHONY: all build run test test-build deps clean bench
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@scripts/deps

build: $(O)/bastion.elf $(O)/bastion.igvm $(TOOLS)

test-build: build $(O)/test/bastion-test.igvm $(O)/host/host_tests $(O)/bastion-guest.igvm \
	$(O)/host/crypto_tests $(O)/host/crypto_ct $(O)/guest/conformance.fd $(O)/guest/relay.fd \
	$(O)/host/vtpm_tests \
	$(O)/vtpm-server $(O)/tpm_server

RUN_IGVM := $(if $(GUEST_FIRMWARE),$(O)/bastion-guest.igvm,$(O)/bastion.igvm)
# make run GUEST=tpm-relay: the vTPM relay guest instead of OVMF, with the TPM inside Bastion
# served as an mssim TPM on 127.0.0.1:$(TPM_PORT) for tpm2-tools (scripts/run-tpm-relay.sh).
GUEST ?=
TPM_PORT ?= 2321

run: deps
ifeq ($(GUEST),tpm-relay)
	@$(MAKE) --no-print-directory build $(O)/bastion-relay.igvm
	MEM=$(MEM) scripts/run-tpm-relay.sh $(O) $(O)/bastion-relay.igvm $(TPM_PORT)
else ifeq ($(GUEST),)
	@$(MAKE) --no-print-directory build $(RUN_IGVM)
	scripts/qemu-run.sh --mem $(MEM) --smp $(SMP) --tools $(O)/tools $(RUN_IGVM)
else
	@echo "make run: GUEST=$(GUEST) is not a guest (GUEST=tpm-relay, or none for OVMF)"; exit 2
endif

test: deps
	@$(MAKE) --no-print-directory test-build
	@$(MAKE) --no-print-directory DEBUG=1 LOG_LEVEL=LOG_LEVEL_INFO O=$(O)/debug-kernel $(O)/debug-kernel/bastion.elf
	tests/run-all.sh $(O)

$(O)/linker.ld: linker.ld kernel/image_layout.h
	@mkdir -p $(@D)
	$(call say,CPP,$@)
	$(Q)$(CC) -E -P -x c -undef -I. $< -o $@

$(O)/prod/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(O)/test/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(KCFLAGS) -DCONFIG_KTEST=1 -DCONFIG_FAULT_INJECT=1 -c $< -o $@

$(O)/prod/%.o: %.asm
	@mkdir -p $(@D)
	$(call say,NASM,$@)
	$(Q)$(NASM) $(KNASMFLAGS) -MD $(@:.o=.d) -MP -o $@ $<

$(O)/test/%.o: %.asm
	@mkdir -p $(@D)
	$(call say,NASM,$@)
	$(Q)$(NASM) $(KNASMFLAGS) -I$(O)/guest/ -MD $(@:.o=.d) -MP -o $@ $<

# Test guests (tests/guest/*.asm -> flat binaries), embedded by tests/guest/*_blob.asm.
$(O)/guest/%.bin: tests/guest/%.asm
	@mkdir -p $(@D)
	$(call say,NASM,$@)
	$(Q)$(NASM) -f bin -w+error -o $@ $<

$(foreach b,$(TEST_GUEST_BINS),$(eval $(O)/test/tests/guest/$(b:.bin=_blob.o): $(O)/guest/$(b)))

# Linking with a symbol table takes two passes: link with an empty table, generate the table
# from that ELF, link again. The table lives after .rodata, so code addresses cannot move;
# the final check proves it by regenerating the table from the final ELF.
# $(1) = prod|test, $(2) = output ELF
define kernel_link
$(O)/$(1)/ksyms_empty.c:
	@mkdir -p $$(@D)
	$$(Q)scripts/gen-ksyms.sh < /dev/null > $$@

$(O)/$(1)/ksyms_%.o: $(O)/$(1)/ksyms_%.c
	$$(call say,CC,$$@)
	$$(Q)$$(CC) $$(KCFLAGS) -c $$< -o $$@

$(O)/$(1)/stage1.elf: $$($(2)_OBJS) $(O)/$(1)/ksyms_empty.o $(O)/linker.ld
	$$(call say,LD,$$@)
	$$(Q)$$(LD) $$(KLDFLAGS) -o $$@ $$($(2)_OBJS) $(O)/$(1)/ksyms_empty.o

$(O)/$(1)/ksyms_table.c: $(O)/$(1)/stage1.elf scripts/gen-ksyms.sh
	$$(call say,KSYMS,$$@)
	$$(Q)$$(NM) -n --defined-only $$< | scripts/gen-ksyms.sh > $$@

$(3): $$($(2)_OBJS) $(O)/$(1)/ksyms_table.o $(O)/linker.ld
	$$(call say,LD,$$@)
	$$(Q)$$(LD) $$(KLDFLAGS) -o $$@ $$($(2)_OBJS) $(O)/$(1)/ksyms_table.o
	$$(Q)$$(NM) -n --defined-only $$@ | scripts/gen-ksyms.sh | cmp -s - $(O)/$(1)/ksyms_table.c || \
		{ echo "ksyms: code moved between link passes ($$@)"; rm -f $$@; exit 1; }
endef

$(eval $(call kernel_link,prod,PROD,$(O)/bastion.elf))
$(eval $(call kernel_link,test,TEST,$(O)/test/bastion-test.elf))

# The image, and its SEV-SNP launch digest as QEMU/KVM will measure it (1 vCPU; the file also
# passes QEMU/KVM's rules, or the build stops).
$(O)/bastion.igvm: $(O)/bastion.elf $(O)/tools/igvmbuild $(O)/tools/igvmmeasure
	$(call say,IGVM,$@)
	$(Q)$(O)/tools/igvmbuild --elf $< -o $@
	$(Q)echo "  MEASURE  $@: SNP launch digest $$($(O)/tools/igvmmeasure --check-kvm --quiet $@)"

# Bastion plus the guest firmware, for `make run`.
$(O)/bastion-relay.igvm: $(O)/bastion.elf $(O)/tools/igvmbuild $(O)/guest/relay.fd
	$(call say,IGVM,$@)
	$(Q)$(O)/tools/igvmbuild --elf $< --firmware $(O)/guest/relay.fd -o $@

$(O)/bastion-guest.igvm: $(O)/bastion.elf $(O)/tools/igvmbuild $(GUEST_FIRMWARE)
	$(call say,IGVM,$@)
	$(Q)$(O)/tools/igvmbuild --elf $< --firmware $(GUEST_FIRMWARE) -o $@

$(O)/test/bastion-test.igvm: $(O)/test/bastion-test.elf $(O)/tools/igvmbuild
	$(call say,IGVM,$@)
	$(Q)$(O)/tools/igvmbuild --elf $< -o $@

# ---- Section 5: host tools and host tests ------------------------------------------------------
$(O)/hostobj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(HOSTCFLAGS) -c $< -o $@

$(O)/hosttest/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(HOSTTEST_CFLAGS) -c $< -o $@

IGVM_LIB_OBJS := $(addprefix $(O)/hostobj/,$(IGVM_LIB_SRCS:.c=.o))

$(O)/tools/igvmbuild: $(IGVM_LIB_OBJS) $(addprefix $(O)/hostobj/,$(IGVMBUILD_SRCS:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^

$(O)/tools/igvmdump: $(IGVM_LIB_OBJS) $(addprefix $(O)/hostobj/,$(IGVMDUMP_SRCS:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^

$(O)/tools/igvmmeasure: $(IGVM_LIB_OBJS) $(addprefix $(O)/hostobj/,$(IGVMMEASURE_SRCS:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^ -lcrypto

$(O)/tools/igvmload: $(IGVM_LIB_OBJS) $(addprefix $(O)/hostobj/,$(IGVMLOAD_SRCS:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^

$(O)/tools/qemu_reset_rom.bin: arch/x86/qemu_reset_rom.asm
	@mkdir -p $(@D)
	$(call say,NASM,$@)
	$(Q)$(NASM) -f bin -w+error -o $@ $<

# The sanitized igvmdump used by the CLI test (tests/igvm_cli_test.sh).
$(O)/hosttest/tools/igvmdump: $(addprefix $(O)/hosttest/,$(IGVM_LIB_SRCS:.c=.o) $(IGVMDUMP_SRCS:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) $(HOSTTEST_CFLAGS) -o $@ $^

HOST_TEST_ALL := $(sort $(HOST_TEST_SRCS) $(HOST_PORTABLE_SRCS) $(IGVM_LIB_SRCS)) \
	tests/ktest/ktest.c tests/host/host_main.c

$(O)/host/host_tests: $(addprefix $(O)/hosttest/,$(HOST_TEST_ALL:.c=.o)) $(O)/hosttest/tools/igvmdump
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) $(HOSTTEST_CFLAGS) -o $@ $(addprefix $(O)/hosttest/,$(HOST_TEST_ALL:.c=.o))

# The crypto tests: known answers from Debian's python3-cryptography-vectors and randomized
# differential tests against OpenSSL (libcrypto), with ASan/UBSan, at -O2 so the RSA and ECC
# iteration counts fit the test budget.
CRYPTOTEST_CFLAGS := $(filter-out -O1,$(HOSTTEST_CFLAGS)) -O2
CRYPTO_TEST_ALL := $(sort $(CRYPTO_SRCS) $(wildcard tests/crypto/*_test.c)) tests/crypto/vectors.c \
	tests/crypto/simd_host.c kernel/string.c tests/ktest/ktest.c tests/host/host_main.c \
	tests/host/host_panic.c

$(O)/cryptotest/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(CRYPTOTEST_CFLAGS) -c $< -o $@

$(O)/cryptotest/crypto/%_simd.o: CRYPTOTEST_CFLAGS += $(SIMD_CFLAGS)
$(O)/hosttest/crypto/%_simd.o: HOSTTEST_CFLAGS += $(SIMD_CFLAGS)

$(O)/host/crypto_tests: $(addprefix $(O)/cryptotest/,$(CRYPTO_TEST_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) $(CRYPTOTEST_CFLAGS) -o $@ $^ -lcrypto

# The vTPM engine's host tests (tests/vtpm/*_test.c) and its TCP server (tests/vtpm/server/),
# both over the same vtpm/ and crypto/ sources the kernel links.
VTPM_TEST_ALL := $(sort $(VTPM_SRCS) $(CRYPTO_SRCS) $(wildcard tests/vtpm/*_test.c) \
	$(filter-out tests/vtpm/%_test.c,$(wildcard tests/vtpm/*.c))) tests/crypto/simd_host.c \
	kernel/string.c tests/ktest/ktest.c tests/host/host_main.c tests/host/host_panic.c

$(O)/host/vtpm_tests: $(addprefix $(O)/cryptotest/,$(VTPM_TEST_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) $(CRYPTOTEST_CFLAGS) -o $@ $^ -lcrypto

# The server is built like the benchmarks: -O2, no sanitizers.
VTPM_SERVER_ALL := $(sort $(VTPM_SRCS) $(CRYPTO_SRCS) $(wildcard tests/vtpm/server/*.c)) \
	tests/crypto/simd_host.c kernel/string.c tests/host/host_panic.c
VTPMSRV_CFLAGS = -std=gnu11 -O2 -g $(WARN) -I. -MMD -MP -DBASTION_HOST

$(O)/vtpmsrv/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(VTPMSRV_CFLAGS) -c $< -o $@

$(O)/vtpmsrv/crypto/%_simd.o: VTPMSRV_CFLAGS += $(SIMD_CFLAGS)

$(O)/vtpm-server: $(addprefix $(O)/vtpmsrv/,$(VTPM_SERVER_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^

# The name tools that expect Microsoft's reference simulator start (`tpm_server -port N`).
$(O)/tpm_server: $(O)/vtpm-server
	$(Q)ln -sf vtpm-server $@

.PHONY: vtpm-server
vtpm-server: deps
	@$(MAKE) --no-print-directory $(O)/vtpm-server $(O)/tpm_server

# The constant-time check (ctgrind): the secret-dependent paths built without sanitizers and run
# under valgrind memcheck with the secrets marked undefined (tests/crypto/ct/).
CTTEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -MMD -MP -DBASTION_HOST -DCONFIG_DEBUG=1
CRYPTO_CT_ALL := $(sort $(CRYPTO_SRCS) $(wildcard tests/crypto/ct/*_ct.c)) tests/crypto/simd_host.c \
	kernel/string.c tests/ktest/ktest.c tests/host/host_main.c tests/host/host_panic.c

$(O)/cttest/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(CTTEST_CFLAGS) -c $< -o $@

$(O)/cttest/crypto/%_simd.o: CTTEST_CFLAGS += $(SIMD_CFLAGS)

$(O)/host/crypto_ct: $(addprefix $(O)/cttest/,$(CRYPTO_CT_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) $(CTTEST_CFLAGS) -o $@ $^

# ---- Section 6: benchmarks (not part of make test: numbers, not verdicts) ------------------------
BENCH_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -MMD -MP -DBASTION_HOST
BENCH_ALL := $(sort $(BENCH_SRCS) $(BENCH_PORTABLE_SRCS))

$(O)/benchobj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,HOSTCC,$@)
	$(Q)$(HOSTCC) $(BENCH_CFLAGS) -c $< -o $@

$(O)/bench/mm_bench: $(addprefix $(O)/benchobj/,$(BENCH_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^

# The crypto benchmark: crypto/ and OpenSSL in one process (tests/bench/README.md).
CRYPTO_BENCH_ALL := $(sort $(wildcard tests/bench/crypto_bench*.c) $(CRYPTO_SRCS)) \
	tests/crypto/simd_host.c kernel/string.c tests/host/host_panic.c

$(O)/benchobj/crypto/%_simd.o: BENCH_CFLAGS += $(SIMD_CFLAGS)

$(O)/bench/crypto_bench: $(addprefix $(O)/benchobj/,$(CRYPTO_BENCH_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^ -lcrypto

# The vTPM benchmark: vtpm/ and libtpms (libtpms-dev) on one command stream (tests/bench/README.md).
VTPM_BENCH_ALL := $(sort $(wildcard tests/bench/vtpm_bench*.c) $(VTPM_SRCS) $(CRYPTO_SRCS)) \
	tests/crypto/simd_host.c kernel/string.c tests/host/host_panic.c

$(O)/bench/vtpm_bench: $(addprefix $(O)/benchobj/,$(VTPM_BENCH_ALL:.c=.o))
	@mkdir -p $(@D)
	$(call say,HOSTLD,$@)
	$(Q)$(HOSTCC) -o $@ $^ -ltpms -lcrypto

bench: deps
	@$(MAKE) --no-print-directory $(O)/bench/mm_bench $(O)/bench/crypto_bench $(O)/bench/vtpm_bench
	$(O)/bench/mm_bench
	$(O)/bench/crypto_bench
	$(O)/bench/vtpm_bench

# ---- Section 7: static analysis (`make check`) ------------------------------------------------
# gcc -fanalyzer over every firmware C file with the kernel's own flags (warnings are errors),
# and cppcheck over firmware, tools and test guests. A finding fails the target; a false
# positive gets an inline suppression with its reason, never a global switch-off.
# Skipped: the unrolled SHA-2 round functions (straight-line arithmetic on local arrays, no
# pointers or allocation to reason about) take the analyzer more than ten minutes each.
ANALYZE_SKIP := crypto/sha256.c crypto/sha512.c
ANALYZE_SRCS := $(filter-out %_simd.c $(ANALYZE_SKIP),$(KERNEL_C_SRCS))
ANALYZE_STAMPS := $(addprefix $(O)/analyze/,$(ANALYZE_SRCS:.c=.ok))

$(O)/analyze/%.ok: %.c
	@mkdir -p $(@D)
	$(call say,ANALYZE,$<)
	$(Q)$(CC) $(filter-out -MMD -MP,$(KCFLAGS)) -fanalyzer -c $< -o /dev/null
	@touch $@

.PHONY: check
check: deps
	@$(MAKE) --no-print-directory $(ANALYZE_STAMPS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr --std=c11 \
		-I. -D__x86_64__ -DBASTION_HOST kernel mm protocols arch crypto vtpm igvm tests/guest
	@echo "check: gcc -fanalyzer ($(words $(ANALYZE_SRCS)) files) and cppcheck: no findings"

# ---- Section 8: fuzzing (`make fuzz`, `make fuzz-smoke`; tests/fuzz/README.md) ----------------
# clang + libFuzzer over the real sources: every object is built with coverage instrumentation
# (-fsanitize=fuzzer-no-link) and ASan/UBSan, the harness tests/fuzz/fuzz_<target>.c provides
# LLVMFuzzerTestOneInput, and the link adds libFuzzer's main. scripts/fuzz.sh runs them.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -MMD -MP -DBASTION_HOST -DCONFIG_DEBUG=1 \
	-DCONFIG_FAULT_INJECT=1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -fno-omit-frame-pointer
FUZZ_TARGETS := vtpm_execute igvm_parse core_mem protocols page_alloc
# Support code that is not under test is built without coverage instrumentation (ASan/UBSan
# only): an instrumented bastion_memset() would cost more than the code it serves.
FUZZ_PLAIN := kernel/string.c tests/host/host_panic.c tests/crypto/simd_host.c
# crypto/ is not what this target explores (tests/crypto has its vectors and differential
# tests): built without coverage and at -O2 like the crypto tests, so key generation and
# signatures do not dominate; ASan/UBSan still check every access.
FUZZ_vtpm_execute_SRCS := $(VTPM_SRCS)
FUZZ_vtpm_execute_PLAIN := $(CRYPTO_SRCS)
FUZZ_igvm_parse_SRCS := $(IGVM_LIB_SRCS)
# The core protocol over the host tests' fake VM; its 24 MiB of guest memory is recycled
# between inputs through wrapped calloc/free (tests/fuzz/fake_vm_mem.c). crypto/ (for
# attest.c) as for vtpm_execute.
FUZZ_core_mem_SRCS := $(filter protocols/%,$(KERNEL_C_SRCS)) mm/page_state.c
FUZZ_core_mem_PLAIN := tests/host/fake_core_backend.c tests/fuzz/fake_vm_mem.c $(CRYPTO_SRCS)
FUZZ_core_mem_LDFLAGS := -Wl,--wrap=calloc,--wrap=free
# The attestation and vTPM protocol decoders, over the same fake VM.
FUZZ_protocols_SRCS := $(FUZZ_core_mem_SRCS)
FUZZ_protocols_PLAIN := $(FUZZ_core_mem_PLAIN)
FUZZ_protocols_LDFLAGS := $(FUZZ_core_mem_LDFLAGS)
FUZZ_page_alloc_SRCS := mm/page_alloc.c mm/fault_inject.c
# The ledger is searched 6144 times by each whole-VM check: no comparison tracing there.
$(O)/fuzzobj/mm/page_state.o: FUZZ_CFLAGS += -fno-sanitize-coverage=trace-cmp
FUZZ_BINS := $(addprefix $(O)/fuzz/fuzz_,$(FUZZ_TARGETS))

$(O)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(O)/fuzzplain/%.o: %.c
	@mkdir -p $(@D)
	$(call say,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(filter-out -fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -c $< -o $@

$(O)/fuzzobj/crypto/%_simd.o $(O)/fuzzplain/crypto/%_simd.o: FUZZ_CFLAGS += $(SIMD_CFLAGS)
# crypto/ is support code here (its own tests cover it): uninstrumented, at -O2.
$(O)/fuzzplain/crypto/%.o: FUZZ_CFLAGS += -O2
# The allocator without CONFIG_DEBUG: its poisoning rewrites every free page (the host tests
# cover it) and would cap the target below 1000 execs/s; the harness stamps blocks instead.
$(O)/fuzzobj/mm/page_alloc.o: FUZZ_CFLAGS := $(filter-out -DCONFIG_DEBUG=1,$(FUZZ_CFLAGS))

define fuzz_link
$(O)/fuzz/fuzz_$(1): $(addprefix $(O)/fuzzobj/,$(patsubst %.c,%.o,$(sort tests/fuzz/fuzz_$(1).c \
	$(FUZZ_$(1)_SRCS)))) $(addprefix $(O)/fuzzplain/,$(patsubst %.c,%.o,$(FUZZ_PLAIN) \
	$(FUZZ_$(1)_PLAIN)))
	@mkdir -p $$(@D)
	$$(call say,FUZZLD,$$@)
	$$(Q)$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer $$(FUZZ_$(1)_LDFLAGS) -o $$@ $$^
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_link,$(t))))

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BINS)

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="a b"]: each target N seconds, one after the other.
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS) $(O) $(FUZZ_TARGETS)

# The short run `make test` does (tests/run-all.sh): each target a few seconds from its seeds.
fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-build
	scripts/fuzz.sh --smoke $(O) $(FUZZ_TARGETS)

# make test builds the targets too: tests/run-all.sh runs the smoke tier over them.
test-build: $(FUZZ_BINS)

clean:
	rm -rf build

-include $(shell find $(O) -name '*.d' 2>/dev/null)
