/* The VM's vTPM instance: see vtpm_service.h. */
#include "kernel/layout.h"
#include "kernel/vtpm_service.h"

#include "arch/x86/cpu.h"
#include "arch/x86/rng_hw.h"
#include "crypto/hmac.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/platform.h"
#include "kernel/string.h"
#include "mm/slab.h"
#include "vtpm/vtpm.h"

static struct vtpm *vtpm_instance __ro_after_init;
static struct vtpm_backend vtpm_be __ro_after_init;
/* The EK's TPMT_PUBLIC (the vTPM service manifest), made once at boot. */
static uint8_t ek_public[1024] __ro_after_init;
static size_t ek_public_len __ro_after_init;
static uint64_t tsc_per_ms __ro_after_init;
static uint64_t tsc_at_power_on __ro_after_init;

/* SNP: a key the AMD-SP derives for Bastion (MSG_KEY_REQ, VCEK root, VMPL0, bound to the
 * launch measurement), mixed into every entropy request so that the TPM's seeds do not rest on
 * RDSEED alone. Native: none (derived_key fails). Wiped on panic with the other secrets when
 * issue #10's hardening lands; never logged. */
#define SNP_KEY_FIELD_MEASUREMENT (1ull << 3)
static uint8_t platform_key[32];
static bool have_platform_key __ro_after_init;
static uint64_t entropy_counter;

static int service_entropy(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	if (rng_hw_seed(out, len) != 0) {
		return -1;
	}
	if (have_platform_key) {
		/* out ^= HMAC-SHA-256(platform key, "vtpm entropy" || counter || block) stream. */
		for (size_t off = 0, block = 0; off < len; off += 32, block++) {
			uint8_t msg[12 + 8 + 8];
			uint8_t mask[32];

			bastion_memcpy(msg, "vtpm entropy", 12);
			for (unsigned int i = 0; i < 8; i++) {
				msg[12 + i] = (uint8_t)(entropy_counter >> (8 * i));
				msg[20 + i] = (uint8_t)((uint64_t)block >> (8 * i));
			}
			if (hmac_oneshot(HASH_SHA256, platform_key, sizeof(platform_key), msg,
					 sizeof(msg), mask) != 0) {
				mem_wipe(out, len);
				return -1;
			}
			for (size_t i = 0; i < 32 && off + i < len; i++) {
				out[off + i] ^= mask[i];
			}
			mem_wipe(mask, sizeof(mask));
		}
		entropy_counter++;
	}
	return 0;
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

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Runs one command built in cmd[len] on the instance; the response in vtpm_be.buf. Returns
 * the TPM response code. */
static uint32_t run_internal(const uint8_t *cmd, size_t len, size_t *rsp_len)
{
	return vtpm_execute(vtpm_instance, 0, cmd, len, vtpm_be.buf, SVSM_VTPM_BUFFER_SIZE,
			    rsp_len);
}

/*
 * The endorsement key of the TCG EK Credential Profile (template L-1: RSA 2048, SHA-256,
 * fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy | restricted | decrypt,
 * PolicyA, AES-128-CFB, 256 zero octets of unique), the one COCONUT's manifest carries too.
 * Made with the TPM powered as the guest will find it: Startup(CLEAR), CreatePrimary,
 * FlushContext, Shutdown(CLEAR), then _TPM_Init again, so the guest still sends its own
 * TPM2_Startup. The primary is derived from the endorsement seed, so the guest's own
 * CreatePrimary with this template returns the same key.
 */
static void make_ek(void)
{
	static const uint8_t startup[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t shutdown[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 0 };
	static const uint8_t create_head[] = {
		0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x31,       /* sessions, size (below), CreatePrimary */
		0x40, 0x00, 0x00, 0x0B,                         /* TPM_RH_ENDORSEMENT */
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0,       /* password session, empty */
		0, 4,                                           /* inSensitive: empty auth, data */
		0, 0, 0, 0,
		0x01, 0x3A,                                     /* inPublic: 314 octets */
		0x00, 0x01, 0x00, 0x0B, 0x00, 0x03, 0x00, 0xB2, /* RSA, SHA-256, attributes */
		0x00, 0x20,                                     /* authPolicy: PolicyA (SHA-256) */
		0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5,
		0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B,
		0x33, 0x14, 0x69, 0xAA,
		0x00, 0x06, 0x00, 0x80, 0x00, 0x43,             /* AES-128-CFB */
		0x00, 0x10, 0x08, 0x00, 0, 0, 0, 0,             /* scheme NULL, 2048 bits, e 0 */
		0x01, 0x00,                                     /* unique: 256 zero octets follow */
	};
	uint8_t *cmd = vtpm_be.buf; /* command built in place; the engine copies it first */
	size_t len = sizeof(create_head), rsp_len = 0, n;
	uint64_t t0 = cpu_rdtsc();
	uint32_t rc;

	if (run_internal(startup, sizeof(startup), &rsp_len) != 0) {
		LOG_ERROR("vtpm: internal Startup failed: no EK for attestation");
		return;
	}
	for (size_t i = 0; i < sizeof(create_head); i++) {
		cmd[i] = create_head[i];
	}
	for (size_t i = 0; i < 256; i++) {
		cmd[len++] = 0;
	}
	cmd[len++] = 0; /* outsideInfo: empty */
	cmd[len++] = 0;
	for (size_t i = 0; i < 4; i++) {
		cmd[len++] = 0; /* creationPCR: count 0 */
	}
	cmd[4] = (uint8_t)(len >> 8); /* commandSize (355) */
	cmd[5] = (uint8_t)len;
	rc = run_internal(cmd, len, &rsp_len);
	/* header(10) handle(4) parameterSize(4) outPublic(TPM2B) ... */
	n = rc == 0 && rsp_len >= 20 ? ((size_t)vtpm_be.buf[18] << 8 | vtpm_be.buf[19]) : 0;
	if (rc != 0 || n == 0 || 20 + n > rsp_len || n > sizeof(ek_public)) {
		LOG_INFO("vtpm: no EK for attestation (CreatePrimary answered 0x%x)", rc);
	} else {
		uint8_t flush[14] = { 0x80, 0x01, 0, 0, 0, 14, 0, 0, 0x01, 0x65 };
		uint32_t handle = be32(vtpm_be.buf + 10);

		for (size_t i = 0; i < n; i++) {
			ek_public[i] = vtpm_be.buf[20 + i];
		}
		ek_public_len = n;
		for (int i = 0; i < 4; i++) {
			flush[10 + i] = (uint8_t)(handle >> (24 - 8 * i));
		}
		(void)run_internal(flush, sizeof(flush), &rsp_len);
	}
	(void)run_internal(shutdown, sizeof(shutdown), &rsp_len);
	vtpm_power_on(vtpm_instance);
	LOG_INFO("vtpm: EK (RSA 2048, TCG template L-1) %s in %lu TSC ticks",
		 ek_public_len != 0 ? "made" : "not made", cpu_rdtsc() - t0);
}

int vtpm_service_ek_public(uint8_t *out, size_t cap, size_t *len)
{
	if (ek_public_len == 0 || cap < ek_public_len) {
		return -1;
	}
	for (size_t i = 0; i < ek_public_len; i++) {
		out[i] = ek_public[i];
	}
	*len = ek_public_len;
	return 0;
}

void vtpm_service_init(void)
{
	struct vtpm_platform plat = { service_entropy, service_clock_ms, NULL };
	uint64_t t0 = cpu_rdtsc();
	bool exact;

	panic_register_secret(platform_key, sizeof(platform_key));
	have_platform_key = platform()->derived_key(SNP_KEY_FIELD_MEASUREMENT, platform_key) == 0;
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
	/* The TPM's whole state holds seeds, proofs and keys; the buffer the last command and
	 * response (e.g. unsealed data). */
	panic_register_secret(vtpm_instance, vtpm_size());
	panic_register_secret(vtpm_be.buf, SVSM_VTPM_BUFFER_SIZE);
	if (vtpm_init(vtpm_instance, &plat) != 0 || vtpm_manufacture(vtpm_instance) != 0) {
		panic("vtpm: manufacture failed (entropy source: RDSEED/RDRAND)");
	}
	vtpm_be.ctx = vtpm_instance;
	vtpm_be.execute = service_execute;
	LOG_INFO("vtpm: manufactured and powered on (%zu KiB of state, %lu TSC ticks; seeds from "
		 "%s; clock %s)",
		 vtpm_size() >> 10, cpu_rdtsc() - t0,
		 have_platform_key ? "RDSEED mixed with an AMD-SP derived key" : "RDSEED/RDRAND",
		 exact ? "from CPUID" : "approximate: TSC frequency unknown, 1 GHz assumed");
	make_ek();
}

const struct vtpm_backend *vtpm_service_backend(void)
{
	return vtpm_be.execute != NULL ? &vtpm_be : NULL;
}
