/*
 * Ending the VM. On QEMU the isa-debug-exit device (port BASTION_QEMU_EXIT_PORT) turns a
 * write into QEMU's exit status, which is how tests and `make run` see success or failure.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Asks QEMU to exit with status 33 (success) or 35 (failure). If no isa-debug-exit device is
 * present (the write is ignored) the CPU halts forever with interrupts off.
 * Assumes the native platform: port I/O raises #VC under SNP.
 */
__attribute__((noreturn)) void arch_qemu_exit(bool success);

/*
 * Passes a guest's isa-debug-exit value on (QEMU exits with status (value << 1) | 1): the
 * native platform lets its guest end the VM this way, as it could through ACPI power-off.
 * Same assumptions as arch_qemu_exit.
 */
__attribute__((noreturn)) void arch_qemu_exit_value(uint32_t value);
