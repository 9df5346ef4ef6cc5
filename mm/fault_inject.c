/*
 * Allocation-failure injection (see fault_inject.h). Without CONFIG_FAULT_INJECT this file
 * compiles to nothing: the header provides an inline fault_inject_should_fail().
 */
#include "mm/fault_inject.h"

#ifdef CONFIG_FAULT_INJECT

enum fault_inject_mode {
	FAULT_INJECT_OFF,
	FAULT_INJECT_NTH,
	FAULT_INJECT_AFTER,
};

static enum fault_inject_mode fault_inject_mode;
static uint64_t fault_inject_arg;
static uint64_t fault_inject_seen;

void fault_inject_fail_nth(uint64_t n)
{
	fault_inject_mode = FAULT_INJECT_NTH;
	fault_inject_arg = n;
	fault_inject_seen = 0;
}

void fault_inject_fail_after(uint64_t n)
{
	fault_inject_mode = FAULT_INJECT_AFTER;
	fault_inject_arg = n;
	fault_inject_seen = 0;
}

void fault_inject_reset(void)
{
	fault_inject_mode = FAULT_INJECT_OFF;
	fault_inject_arg = 0;
	fault_inject_seen = 0;
}

bool fault_inject_should_fail(void)
{
	/* Saturate rather than wrap, so a long-running debug kernel never re-fires an old arm. */
	if (fault_inject_seen != UINT64_MAX) {
		fault_inject_seen++;
	}
	switch (fault_inject_mode) {
	case FAULT_INJECT_NTH:
		return fault_inject_seen == fault_inject_arg;
	case FAULT_INJECT_AFTER:
		return fault_inject_seen > fault_inject_arg;
	case FAULT_INJECT_OFF:
	default:
		return false;
	}
}

uint64_t fault_inject_count(void)
{
	return fault_inject_seen;
}

#endif
