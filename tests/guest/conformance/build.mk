# The conformance test guest (tests/guest/conformance/): a flat firmware image that ends at
# 4 GiB, packaged with Bastion by tests/conformance_test.sh (igvmbuild --firmware).
# The top-level Makefile includes this file; `make $(O)/guest/conformance.fd` builds it, and
# `make $(O)/guest/relay.fd` the vTPM relay guest (relay.c).
# Uses O, CC, LD, NASM, WARN, Q and say from the Makefile.
OBJCOPY ?= objcopy

CONF_DIR := tests/guest/conformance
# Both images share the boot code, console, SVSM discovery and calls; the conformance image
# adds the checks, the relay image (relay.c, issue #8) the vTPM relay loop instead.
CONF_COMMON_C := $(addprefix $(CONF_DIR)/,exit.c console.c string.c check.c svsm.c)
CONF_C_SRCS := $(CONF_COMMON_C) $(addprefix $(CONF_DIR)/,main.c checks_core.c checks_remap.c \
	checks_pvalidate.c checks_vcpu.c checks_memory.c checks_vtpm.c checks_attest.c big.c \
	flood.c)
RELAY_C_SRCS := $(CONF_COMMON_C) $(CONF_DIR)/relay.c
CONF_ASM_SRCS := $(addprefix $(CONF_DIR)/,reset.asm entry.asm)
CONF_OBJS := $(addprefix $(O)/conformance/,$(CONF_C_SRCS:.c=.o) $(CONF_ASM_SRCS:.asm=.o))
RELAY_OBJS := $(addprefix $(O)/conformance/,$(RELAY_C_SRCS:.c=.o) $(CONF_ASM_SRCS:.asm=.o))

# Freestanding 64-bit code linked at 0x100000 (so -mcmodel=small), no SSE (-mgeneral-regs-only),
# no red zone (the exception stubs share the stack), no stack protector or libc.
CONF_CFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -nostdlib -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -fno-pic -fno-pie -mcmodel=small \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-tree-loop-distribute-patterns -fno-strict-aliasing -I. -MMD -MP
CONF_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --build-id=none \
	--no-warn-rwx-segments -T $(CONF_DIR)/conformance.ld

$(O)/conformance/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$@)
	$(Q)$(CC) $(CONF_CFLAGS) -c $< -o $@

$(O)/conformance/%.o: %.asm
	@mkdir -p $(@D)
	$(call say,NASM,$@)
	$(Q)$(NASM) -f elf64 -w+error -I./ -MD $(@:.o=.d) -MP -o $@ $<

$(O)/conformance/conformance.elf: $(CONF_OBJS) $(CONF_DIR)/conformance.ld
	$(call say,LD,$@)
	$(Q)$(LD) $(CONF_LDFLAGS) -o $@ $(CONF_OBJS)

$(O)/conformance/relay.elf: $(RELAY_OBJS) $(CONF_DIR)/conformance.ld
	$(call say,LD,$@)
	$(Q)$(LD) $(CONF_LDFLAGS) -o $@ $(RELAY_OBJS)

# The flat images: from the lowest load address (4 GiB - 128 KiB) to 4 GiB.
$(O)/guest/%.fd: $(O)/conformance/%.elf
	@mkdir -p $(@D)
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -O binary $< $@.tmp
	$(Q)test "$$(stat -c %s $@.tmp)" -eq 131072 || \
		{ echo "$@: $$(stat -c %s $@.tmp) bytes, expected 131072"; rm -f $@.tmp; exit 1; }
	$(Q)mv $@.tmp $@
