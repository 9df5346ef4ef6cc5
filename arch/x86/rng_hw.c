/*
 * RDSEED/RDRAND with retry limits and health checks. See arch/x86/rng_hw.h for the contract.
 */
#include "arch/x86/rng_hw.h"

#include "kernel/string.h"

#define CPUID1_ECX_RDRAND (1u << 30)
#define CPUID7_EBX_RDSEED (1u << 18)

bool rng_hw_rdseed64(uint64_t *out)
{
	uint64_t v;
	uint8_t ok;

	/* CF=1: v holds a value; CF=0: no entropy available right now (v is 0). */
	__asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(v), "=qm"(ok) : : "cc");
	*out = v;
	return ok != 0;
}

bool rng_hw_rdrand64(uint64_t *out)
{
	uint64_t v;
	uint8_t ok;

	__asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(v), "=qm"(ok) : : "cc");
	*out = v;
	return ok != 0;
}

struct rng_hw_source rng_hw_caps_from_cpuid(const struct cpuid_regs *leaf1,
					    const struct cpuid_regs *leaf7)
{
	struct rng_hw_source s = { NULL, NULL };

	if (leaf7 != NULL && (leaf7->ebx & CPUID7_EBX_RDSEED) != 0) {
		s.rdseed = rng_hw_rdseed64;
	}
	if (leaf1 != NULL && (leaf1->ecx & CPUID1_ECX_RDRAND) != 0) {
		s.rdrand = rng_hw_rdrand64;
	}
	return s;
}

struct rng_hw_source rng_hw_detect(void)
{
	struct cpuid_regs l0 = cpu_cpuid(0, 0);
	struct cpuid_regs l1 = cpu_cpuid(1, 0);
	struct cpuid_regs l7 = { 0, 0, 0, 0 };

	if (l0.eax >= 7) {
		l7 = cpu_cpuid(7, 0);
	}
	return rng_hw_caps_from_cpuid(&l1, &l7);
}

/* Up to RNG_HW_RETRIES executions of fn. */
static bool try_insn(rng_hw_insn_fn fn, uint64_t *w)
{
	if (fn == NULL) {
		return false;
	}
	for (unsigned int i = 0; i < RNG_HW_RETRIES; i++) {
		if (fn(w)) {
			return true;
		}
	}
	return false;
}

/* One health-checked word: RDSEED preferred, RDRAND as the fallback. */
static int next_word(const struct rng_hw_source *src, uint64_t prev, bool have_prev,
		     uint64_t *w)
{
	if (!try_insn(src->rdseed, w) && !try_insn(src->rdrand, w)) {
		return RNG_HW_ERR_EXHAUSTED;
	}
	if (*w == 0 || *w == ~(uint64_t)0 || (have_prev && *w == prev)) {
		return RNG_HW_ERR_STUCK;
	}
	return 0;
}

int rng_hw_seed_from(const struct rng_hw_source *src, uint8_t *out, size_t len)
{
	uint64_t prev = 0, w = 0;
	size_t done = 0;
	int rc;

	if (out == NULL && len > 0) {
		return RNG_HW_ERR_UNSUPPORTED;
	}
	if (src->rdseed == NULL && src->rdrand == NULL) {
		rc = RNG_HW_ERR_UNSUPPORTED;
		goto fail;
	}
	/* The reference word for the first comparison; never output. */
	rc = next_word(src, 0, false, &prev);
	if (rc != 0) {
		goto fail;
	}
	while (done < len) {
		size_t take = len - done;

		rc = next_word(src, prev, true, &w);
		if (rc != 0) {
			goto fail;
		}
		if (take > sizeof(w)) {
			take = sizeof(w);
		}
		for (size_t i = 0; i < take; i++) {
			out[done + i] = (uint8_t)(w >> (8 * i));
		}
		done += take;
		prev = w;
	}
	mem_wipe(&w, sizeof(w));
	mem_wipe(&prev, sizeof(prev));
	return 0;

fail:
	if (len > 0) {
		mem_wipe(out, len);
	}
	mem_wipe(&w, sizeof(w));
	mem_wipe(&prev, sizeof(prev));
	return rc;
}

int rng_hw_seed(uint8_t *out, size_t len)
{
	struct rng_hw_source src = rng_hw_detect();

	return rng_hw_seed_from(&src, out, len);
}
