/*
 * Frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer).
 * Each frame is {saved RBP, return address}; entry64 zeroes RBP so the walk ends at kmain's
 * caller. A frame pointer outside Bastion's mapped region, misaligned, or not strictly
 * increasing ends the walk, so a corrupt stack cannot make the unwinder fault.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BACKTRACE_MAX_FRAMES 32

/* Collects up to max return addresses starting from frame pointer rbp. Returns the count. */
size_t backtrace_capture(uint64_t rbp, uint64_t *return_addrs, size_t max);

/* Prints "bastion:   #N 0x... symbol+0xoff" lines: rip first, then the frames above rbp. */
void backtrace_print(uint64_t rip, uint64_t rbp);
