/*
 * Fuzz target: the whole TPM 2.0 engine (vtpm/, vtpm_execute()) with its state carried from
 * one input to the next, as a TPM lives through a stream of commands.
 *
 * Set-up (once): vtpm_init, vtpm_manufacture, vtpm_power_on, TPM2_Startup(CLEAR) with
 * deterministic entropy and clock; the resulting struct vtpm is kept as a snapshot. The state
 * persists across inputs and is restored from the snapshot every FZ_RESET_EVERY inputs, so
 * sessions, sequences, objects, NV indices and PCRs made by one input meet the commands of
 * the next, while a TPM driven into a corner (locked out, shut down) comes back.
 *
 * Each input is one or more commands back to back, split by their header's commandSize: a
 * size that is below 10 or runs past the input makes the rest of the input one (malformed)
 * command. A 10-byte pseudo-command with tag FZ_TAG_HARNESS is the harness's own: a power
 * cycle (_TPM_Init: vtpm_power_on) so Startup(STATE/CLEAR) and resume paths are reached.
 *
 * Checked beyond the sanitizers, for every response: at least a header, at most
 * VTPM_MAX_RESPONSE_SIZE and the capacity, responseSize equal to its length, responseCode
 * equal to the return value; an error response is exactly a 10-byte TPM_ST_NO_SESSIONS
 * header (or TPM_ST_RSP_COMMAND for TPM_RC_BAD_TAG, Part 1 "Response Tag"); a success answers
 * with the command's tag. When a command answers TPM_RC_INITIALIZE the harness sends
 * Startup(CLEAR). Every FZ_PROBE_EVERY commands a probe (PCR_Read of SHA-256 PCRs 0-23) must
 * succeed with a well-formed TPML_PCR_SELECTION and TPML_DIGEST: the engine still works.
 *
 * Reproducing a finding that depends on earlier inputs: a sanitizer report or a harness
 * finding writes every input since the last restore to ./vtpm-history-PID/NNNNNN (or
 * $FUZZ_VTPM_HISTORY), and `build/fuzz/fuzz_vtpm_execute vtpm-history-PID/ *` replays them
 * in order from the fresh snapshot (libFuzzer runs file arguments in order in one process).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vtpm/rc.h"
#include "vtpm/tpm2.h"
#include "vtpm/vtpm.h"

#define FZ_RESET_EVERY 128u
#define FZ_PROBE_EVERY 16u
#define FZ_TAG_HARNESS 0xB0FFu
#define FZ_VTPM_MEM (256u * 1024u)

struct fz_platform {
	uint64_t entropy_counter;
	uint64_t now_ms;
};

static uint8_t fz_mem[FZ_VTPM_MEM] __attribute__((aligned(64)));
static uint8_t fz_snap[FZ_VTPM_MEM] __attribute__((aligned(64)));
static struct fz_platform fz_plat;
static struct fz_platform fz_plat_snap;
static struct vtpm *fz_t;
static size_t fz_size;
static bool fz_ready;
static unsigned int fz_inputs;
static unsigned int fz_commands;
static uint8_t fz_rsp[VTPM_MAX_RESPONSE_SIZE + 64];
static bool fz_trace; /* FUZZ_VTPM_TRACE=1: print each command's code and response code */

/* Inputs since the last restore, for the history dump: a static arena, because a heap copy
 * that outlives the input makes libFuzzer suspect a leak and run every input twice. */
#define FZ_HIST_BYTES (4u << 20)
static uint8_t fz_hist_arena[FZ_HIST_BYTES];
static size_t fz_hist_used;
static size_t fz_hist_off[FZ_RESET_EVERY + 1];
static unsigned int fz_hist_count;
static bool fz_hist_lost; /* an input did not fit: the dump is incomplete */

static int fz_entropy(void *ctx, uint8_t *out, size_t len)
{
	struct fz_platform *p = ctx;

	for (size_t i = 0; i < len; i++) {
		p->entropy_counter = p->entropy_counter * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (uint8_t)(p->entropy_counter >> 56);
	}
	return 0;
}

static uint64_t fz_clock(void *ctx)
{
	return ((struct fz_platform *)ctx)->now_ms;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- history: written on a finding so a state-dependent one replays -------------------------- */

static void hist_clear(void)
{
	fz_hist_count = 0;
	fz_hist_used = 0;
	fz_hist_lost = false;
}

static void hist_add(const uint8_t *data, size_t size)
{
	if (fz_hist_count == FZ_RESET_EVERY || size > FZ_HIST_BYTES - fz_hist_used) {
		fz_hist_lost = true;
		return;
	}
	memcpy(fz_hist_arena + fz_hist_used, data, size);
	fz_hist_off[fz_hist_count] = fz_hist_used;
	fz_hist_used += size;
	fz_hist_count++;
	fz_hist_off[fz_hist_count] = fz_hist_used;
}

static void hist_write(void)
{
	char dir[256];
	const char *env = getenv("FUZZ_VTPM_HISTORY");

	if (fz_hist_count == 0) {
		return;
	}
	if (env != NULL) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		snprintf(dir, sizeof(dir), "vtpm-history-%d", (int)getpid());
	}
	(void)mkdir(dir, 0755);
	for (unsigned int i = 0; i < fz_hist_count; i++) {
		char path[320];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%06u", dir, i);
		f = fopen(path, "wb");
		if (f != NULL) {
			(void)fwrite(fz_hist_arena + fz_hist_off[i], 1,
				     fz_hist_off[i + 1] - fz_hist_off[i], f);
			fclose(f);
		}
	}
	fprintf(stderr, "fuzz_vtpm_execute: the %u inputs since the last restore are in %s/; "
		"replay them in order: %s %s/*%s\n", fz_hist_count, dir, "fuzz_vtpm_execute", dir,
		fz_hist_lost ? " (INCOMPLETE: the history arena overflowed)" : "");
}

/* libFuzzer's own death callback (it saves the crashing input); chained from ours. */
extern void fz_libfuzzer_death(void) __asm__("_ZN6fuzzer6Fuzzer19StaticDeathCallbackEv")
	__attribute__((weak));
void __sanitizer_set_death_callback(void (*callback)(void));

static void fz_death(void)
{
	hist_write();
	if (fz_libfuzzer_death != NULL) {
		fz_libfuzzer_death();
	}
}

#define VTPM_FAIL(...)                                                                           \
	do {                                                                                     \
		hist_write();                                                                    \
		FUZZ_FAIL(__VA_ARGS__);                                                          \
	} while (0)

/* ---- commands ------------------------------------------------------------------------------ */

static uint32_t exec(const uint8_t *cmd, size_t len, size_t *rsp_len)
{
	uint32_t rc;
	size_t n = 0;

	fz_plat.now_ms += 7;
	rc = vtpm_execute(fz_t, 0, cmd, len, fz_rsp, VTPM_MAX_RESPONSE_SIZE, &n);
	if (n < 10 || n > VTPM_MAX_RESPONSE_SIZE) {
		VTPM_FAIL("response length %zu (cc 0x%x)", n, len >= 10 ? get32(cmd + 6) : 0);
	}
	if (get32(fz_rsp + 2) != n || get32(fz_rsp + 6) != rc) {
		VTPM_FAIL("response header size %u rc 0x%x, but length %zu rc 0x%x",
			  get32(fz_rsp + 2), get32(fz_rsp + 6), n, rc);
	}
	if (rc != TPM_RC_SUCCESS) {
		bool bad_tag = rc == TPM_RC_BAD_TAG && get16(fz_rsp) == TPM_ST_RSP_COMMAND;

		if (n != 10 || (get16(fz_rsp) != TPM_ST_NO_SESSIONS && !bad_tag)) {
			VTPM_FAIL("error 0x%x with a %zu-byte response, tag 0x%x", rc, n,
				  get16(fz_rsp));
		}
	} else if (len < 10 || get16(fz_rsp) != get16(cmd)) {
		VTPM_FAIL("success with tag 0x%x for a command with tag 0x%x", get16(fz_rsp),
			  len >= 2 ? get16(cmd) : 0);
	}
	if (fz_trace) {
		fprintf(stderr, "  cc 0x%03x len %4zu -> rc 0x%03x, %zu bytes\n",
			len >= 10 ? get32(cmd + 6) : 0, len, rc, n);
	}
	*rsp_len = n;
	return rc;
}

static uint32_t startup_clear(void)
{
	static const uint8_t cmd[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	size_t n;

	return exec(cmd, sizeof(cmd), &n);
}

/* PCR_Read of SHA-256 PCRs 0-23 must answer with the selection and eight digests or fewer
 * (Part 3, PCR_Read: the TPM returns as many as fit, at most 8 per TPML_DIGEST). */
static void probe(void)
{
	static const uint8_t cmd[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7E,
				       0, 0, 0, 1, 0, 0x0B, 3, 0xFF, 0xFF, 0xFF };
	size_t n = 0;
	uint32_t rc = exec(cmd, sizeof(cmd), &n);
	uint32_t count;
	size_t pos;

	if (rc == TPM_RC_INITIALIZE) {
		if (startup_clear() != TPM_RC_SUCCESS) {
			VTPM_FAIL("Startup(CLEAR) refused after TPM_RC_INITIALIZE");
		}
		rc = exec(cmd, sizeof(cmd), &n);
	}
	if (rc != TPM_RC_SUCCESS) {
		VTPM_FAIL("probe PCR_Read failed: 0x%x", rc);
	}
	/* updateCounter, then TPML_PCR_SELECTION (count, {hash, sizeofSelect, select}...). */
	pos = 10 + 4;
	if (n < pos + 4) {
		VTPM_FAIL("probe PCR_Read response too short: %zu", n);
	}
	count = get32(fz_rsp + pos);
	pos += 4;
	for (uint32_t i = 0; i < count; i++) {
		if (count > 16 || n < pos + 3 || n < pos + 3 + fz_rsp[pos + 2]) {
			VTPM_FAIL("probe PCR_Read: malformed selection");
		}
		pos += 3 + fz_rsp[pos + 2];
	}
	if (n < pos + 4) {
		VTPM_FAIL("probe PCR_Read: no TPML_DIGEST");
	}
	count = get32(fz_rsp + pos);
	pos += 4;
	if (count > 8) {
		VTPM_FAIL("probe PCR_Read: %u digests", count);
	}
	for (uint32_t i = 0; i < count; i++) {
		if (n < pos + 2 || get16(fz_rsp + pos) != 32 || n < pos + 2 + 32) {
			VTPM_FAIL("probe PCR_Read: digest %u malformed", i);
		}
		pos += 2 + 32;
	}
	if (pos != n) {
		VTPM_FAIL("probe PCR_Read: %zu trailing bytes", n - pos);
	}
}

static void one_command(const uint8_t *cmd, size_t len)
{
	uint32_t cc = len >= 10 ? get32(cmd + 6) : 0;
	size_t n;
	uint32_t rc;

	if (len == 10 && get16(cmd) == FZ_TAG_HARNESS) {
		vtpm_power_on(fz_t);
		return;
	}
	rc = exec(cmd, len, &n);
	if (rc == TPM_RC_INITIALIZE && cc != TPM_CC_STARTUP) {
		(void)startup_clear();
	}
	if (++fz_commands % FZ_PROBE_EVERY == 0) {
		probe();
	}
}

static void restore(void)
{
	memcpy(fz_mem, fz_snap, fz_size);
	fz_plat = fz_plat_snap;
	fz_commands = 0;
	fz_inputs = 0;
	hist_clear();
}

static void setup(void)
{
	struct vtpm_platform p = { fz_entropy, fz_clock, &fz_plat };

	fz_trace = getenv("FUZZ_VTPM_TRACE") != NULL;
	fz_size = vtpm_size();
	if (fz_size > sizeof(fz_mem)) {
		FUZZ_FAIL("vtpm_size() %zu > %zu: raise FZ_VTPM_MEM", fz_size, sizeof(fz_mem));
	}
	fz_t = (struct vtpm *)fz_mem;
	fz_plat.entropy_counter = 7;
	if (vtpm_init(fz_t, &p) != 0 || vtpm_manufacture(fz_t) != 0) {
		FUZZ_FAIL("vtpm_init/vtpm_manufacture failed");
	}
	vtpm_power_on(fz_t);
	if (startup_clear() != TPM_RC_SUCCESS) {
		FUZZ_FAIL("Startup(CLEAR) failed on a fresh TPM");
	}
	memcpy(fz_snap, fz_mem, fz_size);
	fz_plat_snap = fz_plat;
	__sanitizer_set_death_callback(fz_death);
	fz_ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_ready) {
		setup();
	}
	if (fz_inputs == FZ_RESET_EVERY) {
		restore();
	}
	fz_inputs++;
	hist_add(data, size);
	while (size != 0) {
		size_t len = size;

		if (size >= 10) {
			uint32_t cs = get32(data + 2);

			if (cs >= 10 && cs <= size) {
				len = cs;
			}
		}
		one_command(data, len);
		data += len;
		size -= len;
	}
	return 0;
}
