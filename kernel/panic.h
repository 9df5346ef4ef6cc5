/*
 * panic(): Bastion found one of its own invariants broken. It prints the reason and a
 * backtrace, wipes secrets, and terminates the VM (QEMU: isa-debug-exit failure status).
 * Never use it for conditions a guest or the hypervisor can cause: those are error returns.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* The last step of panic() and fatal exceptions: wipe secrets, end the VM. No printing. */
__attribute__((noreturn)) void panic_terminate(void);

/*
 * Installs fn as the platform's last word (SNP: snp_panic_cleanup(), which wipes the VMPCKs
 * and asks the hypervisor to terminate). panic_terminate() calls it once, after the panic
 * message or exception report is printed and before ending the VM; if fn itself panics or
 * faults, the second panic_terminate() skips it. NULL removes it.
 */
void panic_set_platform_hook(void (*fn)(void));

/*
 * Secrets that panic_terminate() wipes before the VM ends (before the platform hook), so no
 * crash path leaves a key for a memory dump: the vTPM's state (seeds, proofs, keys), the
 * platform-derived key, the native report key. Up to PANIC_SECRETS_MAX regions; a full table
 * panics at registration (boot-time code registers a fixed number).
 */
#define PANIC_SECRETS_MAX 8
void panic_register_secret(void *p, size_t n);
/* Wipes every registered region now (panic_terminate calls it; tests call it directly). */
void panic_wipe_secrets(void);
/* Number of registered regions, and whether every byte of them is zero (tests). */
unsigned int panic_secret_count(void);
bool panic_secrets_all_zero(void);
