/*
 * CHECK(): an always-on invariant check for Bastion's own bugs (ownership, page state, ...).
 * DEBUG_ASSERT(): the same for checks too costly for release builds (compiled in when
 * CONFIG_DEBUG is set, i.e. `make DEBUG=1`).
 * Never CHECK a condition that guest or hypervisor input can make false (Hafnium's rule).
 */
#pragma once

#include "kernel/panic.h"

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (__builtin_expect(!(cond), 0)) {                                              \
			panic("CHECK failed: %s (%s:%d)", #cond, __FILE__, __LINE__);            \
		}                                                                                \
	} while (0)

#ifdef CONFIG_DEBUG
#define DEBUG_ASSERT(cond) CHECK(cond)
#else
#define DEBUG_ASSERT(cond) ((void)sizeof(cond))
#endif
