/*
 * TPM_RC response codes (TPM 2.0 Part 2, §6.6 "TPM_RC") and the format-1 composition
 * helpers the engine uses to number handle, session and parameter errors.
 *
 * Format 0 codes (bit 7 clear) are complete as listed. Format-1 codes (bit 7 set, RC_FMT1)
 * carry a number: bit 6 (TPM_RC_P) set means bits 11:8 are a parameter number 1..15; with
 * bit 6 clear, bit 11 (TPM_RC_S) set means bits 10:8 are a session number 1..7, and clear
 * means bits 10:8 are a handle number 1..7 (Part 2 §6.6.2, Figure "Format-One Response
 * Codes"). Handle/session/parameter numbers count from 1 in command order.
 */
#pragma once

#include <stdint.h>

#define TPM_RC_SUCCESS 0x000u
#define TPM_RC_BAD_TAG 0x01Eu

#define RC_VER1 0x100u
#define TPM_RC_INITIALIZE (RC_VER1 + 0x000u)
#define TPM_RC_FAILURE (RC_VER1 + 0x001u)
#define TPM_RC_SEQUENCE (RC_VER1 + 0x003u)
#define TPM_RC_DISABLED (RC_VER1 + 0x020u)
#define TPM_RC_AUTH_TYPE (RC_VER1 + 0x024u)
#define TPM_RC_AUTH_MISSING (RC_VER1 + 0x025u)
#define TPM_RC_POLICY (RC_VER1 + 0x026u)
#define TPM_RC_PCR (RC_VER1 + 0x027u)
#define TPM_RC_PCR_CHANGED (RC_VER1 + 0x028u)
#define TPM_RC_REBOOT (RC_VER1 + 0x030u)
#define TPM_RC_COMMAND_SIZE (RC_VER1 + 0x042u)
#define TPM_RC_COMMAND_CODE (RC_VER1 + 0x043u)
#define TPM_RC_AUTHSIZE (RC_VER1 + 0x044u)
#define TPM_RC_AUTH_CONTEXT (RC_VER1 + 0x045u)
/* NV (Part 2 §6.6.3; nv.h, cmd_nv.c) */
#define TPM_RC_NV_RANGE (RC_VER1 + 0x046u)
#define TPM_RC_NV_SIZE (RC_VER1 + 0x047u)
#define TPM_RC_NV_LOCKED (RC_VER1 + 0x048u)
#define TPM_RC_NV_AUTHORIZATION (RC_VER1 + 0x049u)
#define TPM_RC_NV_UNINITIALIZED (RC_VER1 + 0x04Au)
#define TPM_RC_NV_SPACE (RC_VER1 + 0x04Bu)
#define TPM_RC_NV_DEFINED (RC_VER1 + 0x04Cu)
#define TPM_RC_NEEDS_TEST (RC_VER1 + 0x053u)
#define TPM_RC_NO_RESULT (RC_VER1 + 0x054u)

#define RC_FMT1 0x080u
#define TPM_RC_ASYMMETRIC (RC_FMT1 + 0x001u)
#define TPM_RC_ATTRIBUTES (RC_FMT1 + 0x002u)
#define TPM_RC_HASH (RC_FMT1 + 0x003u)
#define TPM_RC_VALUE (RC_FMT1 + 0x004u)
#define TPM_RC_HIERARCHY (RC_FMT1 + 0x005u)
#define TPM_RC_KEY_SIZE (RC_FMT1 + 0x007u)
#define TPM_RC_MGF (RC_FMT1 + 0x008u)
#define TPM_RC_MODE (RC_FMT1 + 0x009u)
#define TPM_RC_TYPE (RC_FMT1 + 0x00Au)
#define TPM_RC_HANDLE (RC_FMT1 + 0x00Bu)
#define TPM_RC_KDF (RC_FMT1 + 0x00Cu)
#define TPM_RC_RANGE (RC_FMT1 + 0x00Du)
#define TPM_RC_AUTH_FAIL (RC_FMT1 + 0x00Eu)
#define TPM_RC_NONCE (RC_FMT1 + 0x00Fu)
#define TPM_RC_SCHEME (RC_FMT1 + 0x012u)
#define TPM_RC_SIZE (RC_FMT1 + 0x015u)
#define TPM_RC_SYMMETRIC (RC_FMT1 + 0x016u)
#define TPM_RC_TAG (RC_FMT1 + 0x017u)
#define TPM_RC_SELECTOR (RC_FMT1 + 0x018u)
#define TPM_RC_INSUFFICIENT (RC_FMT1 + 0x01Au)
#define TPM_RC_POLICY_FAIL (RC_FMT1 + 0x01Du)
#define TPM_RC_INTEGRITY (RC_FMT1 + 0x01Fu)
#define TPM_RC_POLICY_CC (RC_FMT1 + 0x024u)
#define TPM_RC_RESERVED_BITS (RC_FMT1 + 0x021u)
#define TPM_RC_CURVE (RC_FMT1 + 0x026u)
/* objects (object.h, cmd_object.c, cmd_sign.c) */
#define TPM_RC_SIGNATURE (RC_FMT1 + 0x01Bu)
#define TPM_RC_KEY (RC_FMT1 + 0x01Cu)
#define TPM_RC_TICKET (RC_FMT1 + 0x020u)
#define TPM_RC_ECC_POINT (RC_FMT1 + 0x027u)
#define TPM_RC_BINDING (RC_FMT1 + 0x025u)
#define TPM_RC_AUTH_UNAVAILABLE (RC_VER1 + 0x02Fu)
#define TPM_RC_PRIVATE (RC_VER1 + 0x00Bu)
#define TPM_RC_PARENT (RC_VER1 + 0x052u)
#define TPM_RC_CPHASH (RC_VER1 + 0x051u)
#define TPM_RC_EXPIRED (RC_FMT1 + 0x023u)

#define RC_WARN 0x900u
#define TPM_RC_OBJECT_MEMORY (RC_WARN + 0x002u)
#define TPM_RC_SESSION_MEMORY (RC_WARN + 0x003u)
#define TPM_RC_MEMORY (RC_WARN + 0x004u)
#define TPM_RC_LOCALITY (RC_WARN + 0x007u)
#define TPM_RC_LOCKOUT (RC_WARN + 0x021u) /* da.h */
#define TPM_RC_TOO_MANY_CONTEXTS (RC_VER1 + 0x02Eu)
#define TPM_RC_TESTING (RC_WARN + 0x00Au)
/* "the nth handle references a transient object or session that is not loaded" */
#define TPM_RC_REFERENCE_H0 (RC_WARN + 0x010u)
/* "the nth authorization session handle references a session that is not loaded" */
#define TPM_RC_REFERENCE_S0 (RC_WARN + 0x018u)

#define TPM_RC_H 0x000u
#define TPM_RC_P 0x040u
#define TPM_RC_S 0x800u

/* Format-1 code rc about parameter n (1..15). Format-0 codes pass through unchanged. */
static inline uint32_t rc_param(uint32_t rc, unsigned int n)
{
	return (rc & RC_FMT1) != 0 ? rc | TPM_RC_P | ((uint32_t)(n & 0xFu) << 8) : rc;
}

/* Format-1 code rc about handle n (1..7). */
static inline uint32_t rc_handle(uint32_t rc, unsigned int n)
{
	return (rc & RC_FMT1) != 0 ? rc | TPM_RC_H | ((uint32_t)(n & 0x7u) << 8) : rc;
}

/* Format-1 code rc about session n (1..7). */
static inline uint32_t rc_session(uint32_t rc, unsigned int n)
{
	return (rc & RC_FMT1) != 0 ? rc | TPM_RC_S | ((uint32_t)(n & 0x7u) << 8) : rc;
}
