/* The VM's vTPM instance: see vtpm_service.h. */
#include "kernel/vtpm_service.h"

#include "arch/x86/cpu.h"
#include "arch/x86/rng_hw.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/slab.h"
#include "vtpm/vtpm.h"

static struct vtpm *vtpm_instance;
static struct vtpm_backend vtpm_be;
static uint64_t tsc_per_ms;
static uint64_t tsc_at_power_on;

static int service_entropy(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	return rng_hw_seed(out, len) == 0 ? 0 : -1;
}

static uint64_t service_clock_ms(void *ctx)
{
	(void)ctx;
	return (cpu_rdtsc() - tsc_at_power_on) / tsc_per_ms;
}

static void service_execute(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
			    size_t *rsp_len)
{
	(void)vtpm_execute(ctx, 0, cmd, len, rsp, cap, rsp_len);
}

/* TSC ticks per millisecond from CPUID (Intel SDM CPUID leaves 15H and 16H), or 1 GHz. */
static uint64_t tsc_ticks_per_ms(bool *exact)
{
	uint32_t max = cpu_cpuid(0, 0).eax;

	*exact = true;
	if (max >= 0x15) {
		struct cpuid_regs r = cpu_cpuid(0x15, 0);

		if (r.eax != 0 && r.ebx != 0 && r.ecx != 0) {
			return (uint64_t)r.ecx * r.ebx / r.eax / 1000u;
		}
	}
	if (max >= 0x16) {
		struct cpuid_regs r = cpu_cpuid(0x16, 0);

		if ((r.eax & 0xFFFFu) != 0) {
			return (uint64_t)(r.eax & 0xFFFFu) * 1000u;
		}
	}
	*exact = false;
	return 1000000u;
}

void vtpm_service_init(void)
{
	struct vtpm_platform plat = { service_entropy, service_clock_ms, NULL };
	uint64_t t0 = cpu_rdtsc();
	bool exact;

	tsc_per_ms = tsc_ticks_per_ms(&exact);
	if (tsc_per_ms == 0) {
		tsc_per_ms = 1;
	}
	tsc_at_power_on = t0;
	vtpm_instance = kzalloc(vtpm_size());
	vtpm_be.buf = kzalloc(SVSM_VTPM_BUFFER_SIZE);
	if (vtpm_instance == NULL || vtpm_be.buf == NULL) {
		panic("vtpm: no memory for the engine (%zu bytes) and its buffer", vtpm_size());
	}
	if (vtpm_init(vtpm_instance, &plat) != 0 || vtpm_manufacture(vtpm_instance) != 0) {
		panic("vtpm: manufacture failed (entropy source: RDSEED/RDRAND)");
	}
	vtpm_be.ctx = vtpm_instance;
	vtpm_be.execute = service_execute;
	LOG_INFO("vtpm: manufactured and powered on (%zu KiB of state, %lu TSC ticks; clock %s)",
		 vtpm_size() >> 10, cpu_rdtsc() - t0,
		 exact ? "from CPUID" : "approximate: TSC frequency unknown, 1 GHz assumed");
}

const struct vtpm_backend *vtpm_service_backend(void)
{
	return vtpm_be.execute != NULL ? &vtpm_be : NULL;
}
