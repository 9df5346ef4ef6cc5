/*
 * Allocation-failure injection, shared by page_alloc and kmalloc (SQLite-style anomaly testing).
 *
 * Every allocator calls fault_inject_should_fail() exactly once per allocation request, before
 * it changes any state, and returns NULL when it says so. A test arms the hook, runs a workload
 * and checks that the workload fails cleanly (no leak, no partial state):
 *
 *   fault_inject_fail_nth(n)     only the nth request from now fails (1-based)
 *   fault_inject_fail_after(n)   the first n requests from now succeed, every later one fails
 *   fault_inject_reset()         disarm; the counter restarts at 0
 *
 * Running the workload once after fault_inject_reset() and reading fault_inject_count() gives
 * the number K of requests it makes; failing each n in 1..K in turn exercises every error path.
 *
 * Compiled in only when CONFIG_FAULT_INJECT is defined (host tests, the test image, debug
 * builds). Otherwise fault_inject_should_fail() is an inline `false` and the arming functions do
 * not exist, so production code pays nothing and cannot arm the hook by accident.
 *
 * The state is global and unlocked: single CPU, and never called from interrupt context (the
 * allocators are not either).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef CONFIG_FAULT_INJECT

/* Arms the hook so that only the nth request from now fails; n == 0 arms nothing that fires. */
void fault_inject_fail_nth(uint64_t n);

/* Arms the hook so that the first n requests from now succeed and all later ones fail. */
void fault_inject_fail_after(uint64_t n);

/* Disarms the hook and restarts the request counter at 0. */
void fault_inject_reset(void);

/*
 * Counts one allocation request. Returns true if this request must fail (the allocator then
 * returns NULL without changing any state).
 */
bool fault_inject_should_fail(void);

/* Returns the number of requests counted since the last arm or reset. */
uint64_t fault_inject_count(void);

#else

static inline bool fault_inject_should_fail(void)
{
	return false;
}

#endif
