/*
 * Bastion's TPM 2.0 engine: the public interface the firmware (the SVSM vTPM protocol) and the
 * host harness (tests/vtpm/server: the Microsoft simulator protocol over TCP) both use.
 *
 * The engine is plain freestanding C over crypto/: no allocation, no platform calls except
 * through struct vtpm_platform. One struct vtpm holds one TPM's whole state; the caller
 * provides its memory (vtpm_size() bytes, 16-byte aligned) so the firmware can place it in
 * its own pages and the host can malloc it.
 *
 * Life cycle (TPM 2.0 Part 1, "TPM Operational States"):
 *   vtpm_init()        binds the platform hooks and zeroes the state: "not manufactured"
 *   vtpm_manufacture() fresh primary seeds and defaults, as a TPM leaves the factory
 *   vtpm_power_on()    _TPM_Init: the next command must be TPM2_Startup; idempotent callers
 *                      (the mssim POWER_ON signal) call it only on a real power cycle
 *   vtpm_execute()     one command in, one response out (TPM 2.0 Part 3 wire format)
 *
 * vtpm_execute never fails to produce a response: malformed input gets the TPM_RC the spec
 * assigns (Part 2, response code formats; e.g. TPM_RC_COMMAND_SIZE, TPM_RC_COMMAND_CODE,
 * TPM_RC_INITIALIZE, parameter/handle/session-numbered format-1 codes). It reads cmd[0..cmd_len)
 * at most once per byte position it needs and never beyond cmd_len; it writes at most rsp_cap
 * bytes. Not thread-safe: one caller at a time per struct vtpm.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Largest command and response, including the 10-byte header. The SVSM vTPM protocol carries
 * both in one 4 KiB page with a 9-byte (command) / 4-byte (response) framing header. */
#define VTPM_MAX_COMMAND_SIZE 4087u
#define VTPM_MAX_RESPONSE_SIZE 4092u

struct vtpm_platform {
	/* Fills out[len] with entropy for seeds and nonces. 0, or negative on failure. */
	int (*entropy)(void *ctx, uint8_t *out, size_t len);
	/* Milliseconds since the TPM was powered on (TPMS_CLOCK_INFO.clock). */
	uint64_t (*clock_ms)(void *ctx);
	void *ctx;
};

struct vtpm;

/* Bytes the caller provides for one struct vtpm (16-byte aligned). */
size_t vtpm_size(void);

/* Binds the hooks (copied) and zeroes the state. Returns 0, or -1 if a hook is missing. */
int vtpm_init(struct vtpm *t, const struct vtpm_platform *platform);

/* Generates the primary seeds (platform, owner, endorsement, null) and resets every
 * persistent setting to its factory value. Returns 0, or -1 if entropy failed. */
int vtpm_manufacture(struct vtpm *t);

/* _TPM_Init: volatile state cleared, TPM2_Startup required next. */
void vtpm_power_on(struct vtpm *t);

/*
 * Executes the command cmd[0..cmd_len) at the given locality (0..4) and writes the response
 * to rsp[0..rsp_cap); *rsp_len receives its length. Returns the response code also found in
 * the response header. rsp_cap must be at least 10 (a header); VTPM_MAX_RESPONSE_SIZE is
 * always enough.
 */
uint32_t vtpm_execute(struct vtpm *t, uint8_t locality, const uint8_t *cmd, size_t cmd_len,
		      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/*
 * The NV image: everything the TPM keeps across power cycles (seeds, proofs, hierarchy auth
 * and policy, PCR allocation, Clock, reset counters, the state saved by Shutdown(STATE), and
 * as they arrive NV indices, persistent objects and dictionary-attack state) as one byte
 * string with a header: magic "BSTNTPM\0", format version, payload size, SHA-256 of the
 * payload (nvimage.c). The caller stores it (the host server in a file; the firmware, later,
 * encrypted). Neither confidentiality nor authenticity is provided here: the image holds the
 * primary seeds in the clear, so the caller must protect it.
 *
 * vtpm_nv_image_size: bytes of an image (fixed for a build).
 * vtpm_nv_image_save: writes the image to out[cap]; 0, or -1 if cap is too small or the TPM
 *   is not manufactured.
 * vtpm_nv_image_load: replaces the persistent state with the image's and performs _TPM_Init
 *   (vtpm_power_on): everything volatile is gone, TPM2_Startup comes next. -1 and the state
 *   unchanged if the magic, version, size or checksum do not match; -1 and the TPM left
 *   unmanufactured (failure mode) if the checksum matches but a field is out of range (a
 *   buggy or hostile writer). in[] must not change during the call. The image format is this build's: an image from a build with a different layout
 *   is refused by its version/size, never misread.
 */
size_t vtpm_nv_image_size(void);
int vtpm_nv_image_save(const struct vtpm *t, uint8_t *out, size_t cap);
int vtpm_nv_image_load(struct vtpm *t, const uint8_t *in, size_t len);
