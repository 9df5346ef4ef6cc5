#include "kernel/panic.h"

#include <stdarg.h>
#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "arch/x86/qemu_exit.h"
#include "kernel/backtrace.h"
#include "kernel/console.h"
#include "kernel/string.h"

void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	cpu_irq_disable();
	if (panicking) {
		console_printf("bastion: PANIC while panicking\n");
		panic_terminate();
	}
	panicking = true;
	console_printf("bastion: PANIC: ");
	va_start(ap, fmt);
	console_vprintf(fmt, ap);
	va_end(ap);
	console_putc('\n');
	/* Frame #0 is panic()'s caller (the call instruction: the return address - 1, which
	 * stays inside the caller even when the call is its last instruction); its frame pointer
	 * is the one saved in our frame. */
	backtrace_print((uint64_t)(uintptr_t)__builtin_return_address(0) - 1,
			*(const uint64_t *)__builtin_frame_address(0));
	panic_terminate();
}

static void (*panic_platform_hook)(void);

static struct {
	void *p;
	size_t n;
} panic_secrets[PANIC_SECRETS_MAX];
static unsigned int panic_secrets_count;

void panic_register_secret(void *p, size_t n)
{
	if (panic_secrets_count >= PANIC_SECRETS_MAX) {
		panic("panic_register_secret: more than %d secret regions", PANIC_SECRETS_MAX);
	}
	panic_secrets[panic_secrets_count].p = p;
	panic_secrets[panic_secrets_count].n = n;
	panic_secrets_count++;
}

void panic_wipe_secrets(void)
{
	for (unsigned int i = 0; i < panic_secrets_count; i++) {
		mem_wipe(panic_secrets[i].p, panic_secrets[i].n);
	}
}

unsigned int panic_secret_count(void)
{
	return panic_secrets_count;
}

bool panic_secrets_all_zero(void)
{
	uint8_t acc = 0;

	for (unsigned int i = 0; i < panic_secrets_count; i++) {
		const volatile uint8_t *p = panic_secrets[i].p;

		for (size_t j = 0; j < panic_secrets[i].n; j++) {
			acc |= p[j];
		}
	}
	return acc == 0;
}

void panic_set_platform_hook(void (*fn)(void))
{
	panic_platform_hook = fn;
}

void panic_terminate(void)
{
	static bool hook_called;

	/* Registered secrets first: wiping cannot fault (the regions are Bastion's own memory)
	 * and must happen whatever the hook does. */
	panic_wipe_secrets();
	/* The platform hook runs at most once: a panic or fault inside it ends up here again. */
	if (panic_platform_hook != NULL && !hook_called) {
		hook_called = true;
		panic_platform_hook();
	}
	arch_qemu_exit(false);
}
