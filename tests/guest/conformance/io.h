/* Port I/O, MSRs and small memory helpers for the conformance guest (no libc). */
#pragma once

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* The guest's RAM is identity mapped: a GPA is its own address. */
static inline volatile void *gpa_ptr(uint64_t gpa)
{
	return (volatile void *)(uintptr_t)gpa;
}

/* gcc may emit calls to these even with -ffreestanding (string.c). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Ends the VM through QEMU's isa-debug-exit with EXIT_PASS or EXIT_FAIL; never returns. */
_Noreturn void guest_exit(uint8_t code);
