# kernel/: boot sequence and cross-cutting services.
KERNEL_C_SRCS += kernel/main.c kernel/console.c kernel/log.c kernel/panic.c kernel/backtrace.c \
	kernel/boot_params.c kernel/boot_params_init.c kernel/format.c kernel/string.c \
	kernel/crc32.c kernel/firmware.c kernel/firmware_info.c \
	kernel/ksyms.c kernel/stack_protector.c kernel/platform.c kernel/guest_boot.c \
	kernel/vcpu.c kernel/request_loop.c kernel/vtpm_service.c kernel/attest_service.c \
	kernel/native_report.c
# Portable sources that the host unit tests compile with ASan/UBSan.
HOST_PORTABLE_SRCS += kernel/format.c kernel/string.c kernel/ksyms.c kernel/boot_params.c \
	kernel/firmware_info.c
