# arch/x86: the only home of nasm and privileged instructions.
KERNEL_ASM_SRCS += arch/x86/entry.asm arch/x86/isr.asm arch/x86/fallible.asm
KERNEL_C_SRCS += arch/x86/cpu_tables.c arch/x86/exception.c arch/x86/extable.c arch/x86/fw_cfg.c \
	arch/x86/qemu_exit.c arch/x86/serial.c arch/x86/snp_cpuid.c arch/x86/fpu.c arch/x86/rng_hw.c
HOST_PORTABLE_SRCS += arch/x86/snp_cpuid.c
