/*
 * The native platform's attestation report (issue #8): there is no AMD-SP without SNP, so
 * Bastion makes a report in the SNP ATTESTATION_REPORT layout (ABI reference 3.6) itself and
 * signs it with a per-boot ECDSA P-384 key. Such a report proves nothing about the platform:
 * it lets the whole attestation path (nonce, manifest, REPORT_DATA, buffers, signature
 * verification) run and be tested without SNP hardware. It is flagged so that no verifier can
 * mistake it for a hardware report: SIGNATURE_ALGO 1 (ECDSA P-384 with SHA-384) as AMD's, but
 * CHIP_ID spells "BASTION-NATIVE-NOT-HARDWARE-ROOTED" and MEASUREMENT, POLICY, TCB and
 * PLATFORM_INFO are zero.
 *
 * native_report_init (boot, native platform): draws the key from a DRBG seeded by
 *   RDSEED/RDRAND and logs its public half at INFO:
 *     "attest: native report key P-384 x=<96 hex> y=<96 hex> (not hardware-rooted)"
 *   so a verifier (tests/conformance_test.sh) can check reports against it. Panics if the
 *   entropy source fails (the key would be predictable).
 * native_report_make: report[1184] for report_data: VERSION 2, VMPL 0, REPORT_DATA,
 *   REPORT_ID = 32 random bytes of this boot, the signature (R, S little endian in 72-byte
 *   fields at 0x2A0 / 0x2E8) over bytes 0x000-0x29F. Returns 0, or -1 before init.
 */
#pragma once

#include <stdint.h>

#define NATIVE_REPORT_SIZE 1184u

void native_report_init(void);
int native_report_make(const uint8_t report_data[64], uint8_t *report);
