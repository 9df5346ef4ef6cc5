/*
 * struct vtpm: one TPM's whole state (vtpm.h). Private to the vtpm/ sources.
 *
 * Split as TPM 2.0 Part 1 splits it: "persistent" fields survive vtpm_power_on (_TPM_Init)
 * like NV would (seeds, clock, reset counters, the state saved by Shutdown(STATE)), the
 * "volatile" fields are re-initialised by vtpm_power_on and TPM2_Startup. The response
 * staging buffer is scratch: big temporaries live here, not on the (<= 4 KiB) stack.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "crypto/drbg.h"
#include "vtpm/da.h"
#include "vtpm/hierarchy.h"
#include "vtpm/keygen.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/session.h"
#include "vtpm/types.h"
#include "vtpm/vtpm.h"

#define VTPM_SEED_SIZE 64u
#define VTPM_PROOF_SIZE 32u /* the context-integrity hash (SHA-256) size */
/* Hierarchy index of seeds[] and proofs[]. */
#define VTPM_HIER_PLATFORM 0u
#define VTPM_HIER_OWNER 1u
#define VTPM_HIER_ENDORSEMENT 2u
#define VTPM_HIER_NULL 3u
#define VTPM_NUM_HIERARCHIES 4u

/* Orderly shutdown recorded by TPM2_Shutdown (persistent). */
#define VTPM_SHUTDOWN_NONE 0u
#define VTPM_SHUTDOWN_CLEAR 1u
#define VTPM_SHUTDOWN_STATE 2u

/* One PCR bank slot holds the largest digest; bank b uses the first digest-size bytes. */
typedef uint8_t vtpm_pcr_values[VTPM_NUM_HASHES][VTPM_NUM_PCRS][VTPM_MAX_DIGEST];

/*
 * Everything that persists across power cycles, as a TPM keeps it in NV (Part 1 §37), in one
 * plain struct with no pointers: nvimage.c serializes it as the NV image (version, size,
 * SHA-256 checksum). Modules that add persistent state (NV indices, persistent objects,
 * dictionary-attack state) add it here, never elsewhere.
 */
struct vtpm_persistent {
	bool manufactured;
	uint8_t seeds[VTPM_NUM_HIERARCHIES][VTPM_SEED_SIZE];
	/* Hierarchy proofs (Part 1 "Hierarchies"): HMAC keys for tickets. The null ones are
	 * replaced at every TPM Reset. */
	uint8_t proofs[VTPM_NUM_HIERARCHIES][VTPM_PROOF_SIZE];
	struct vtpm_hierarchy_state hier; /* hierarchy.h: authValues, policies, enables */
	uint8_t pcr_allocated; /* bit b: bank b allocated */
	/* TPM2_PCR_Allocate: the allocation the next TPM Reset applies (0: none pending). */
	uint8_t pcr_pending;
	uint64_t clock_last;   /* last clock value observed (persisted across power cycles) */
	uint32_t reset_count;
	uint32_t restart_count;
	uint8_t shutdown;      /* VTPM_SHUTDOWN_*: what the last TPM2_Shutdown saved */
	vtpm_pcr_values saved_pcr; /* valid when shutdown == VTPM_SHUTDOWN_STATE */
	uint32_t saved_pcr_counter;
	struct vtpm_nv_state nv; /* nv.h: NV indices */
	struct vtpm_da_state da; /* da.h: dictionary-attack state */
	/* object.h: persistent objects (TPM2_EvictControl) */
	struct vtpm_persistent_object persistent[VTPM_PERSISTENT_SLOTS];
};

struct vtpm {
	struct vtpm_platform plat;
	bool initialised;
	bool table_ok; /* the command table passed its consistency check */

	struct vtpm_persistent ps;
	uint64_t clock_base;   /* TPMS_CLOCK_INFO.clock at the last _TPM_Init */

	/* volatile */
	bool failure;	  /* failure mode (Part 1, "Failure Mode"): only GetTestResult/GetCapability */
	bool started;	  /* TPM2_Startup succeeded since the last _TPM_Init */
	bool orderly;	  /* the last Startup followed a Shutdown (TPMA_STARTUP_CLEAR.orderly) */
	bool drbg_ok;
	struct hmac_drbg drbg;
	vtpm_pcr_values pcr;
	uint32_t pcr_counter; /* pcrUpdateCounter */
	struct vtpm_session sessions[VTPM_SESSION_SLOTS]; /* session.h */
	struct vtpm_object objects[VTPM_OBJECT_SLOTS];	  /* object.h */
	/* Context management (cmd_context.c): the per-boot context key drawn from the DRBG at
	 * _TPM_Init (every Startup follows one) and the next contextSequence. */
	uint8_t context_key[VTPM_PROOF_SIZE];
	uint64_t context_seq;
	/* keygen.h: RSA key and workspaces, the object being built (object commands) */
	struct vtpm_key_scratch ks;

	/* scratch: the command is copied in before it is parsed (every byte of a guest page is
	 * read exactly once, whatever the guest does to it meanwhile) and the response is built
	 * here before it is copied out (so cmd and rsp may be the same page). */
	uint8_t cmd[VTPM_MAX_COMMAND_SIZE];
	uint8_t rsp[VTPM_MAX_RESPONSE_SIZE];
};

/* How often the persistent Clock (ps.clock_last) is brought up to date while commands run;
 * Shutdown saves it exactly (vtpm_clock_update(t, true)). */
#define VTPM_CLOCK_SAVE_MS 4096u
void vtpm_clock_update(struct vtpm *t, bool force);
