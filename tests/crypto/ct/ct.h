/*
 * The constant-time check (the "ctgrind" technique): secrets are marked undefined for
 * valgrind memcheck, which then reports every conditional jump and every memory address
 * that depends on them. Results are marked defined again before a test looks at them.
 * Run: valgrind --error-exitcode=1 build/host/crypto_ct (tests/run-all.sh does).
 * Outside valgrind the macros do nothing, so the binary also runs (and passes) alone.
 */
#pragma once

#include <valgrind/memcheck.h>

#define CT_SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define CT_PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
