/*
 * TPM2_GetCapability (TPM 2.0 Part 3 §30.2).
 *
 * Every capability is a list sorted by its key; the TPM returns the first propertyCount
 * entries whose key is >= property (capped at what fits in TPM_PT_MAX_CAP_BUFFER, Part 2
 * MAX_CAP_* limits) and sets moreData when entries remain after the last one returned.
 * TPM_CAP_COMMANDS and TPM_PT_TOTAL_COMMANDS both come from the command table.
 */
#include "vtpm/commands.h"
#include "vtpm/da.h"
#include "vtpm/hierarchy.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/pcr.h"
#include "vtpm/rc.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* Part 2 §"Implementation parameters": MAX_CAP_BUFFER and the per-list maxima derived from
 * MAX_CAP_DATA = MAX_CAP_BUFFER - sizeof(TPM_CAP) - sizeof(UINT32). */
#define MAX_CAP_BUFFER 1024u
#define MAX_CAP_DATA (MAX_CAP_BUFFER - 4u - 4u)
#define MAX_CAP_ALGS (MAX_CAP_DATA / 6u)
#define MAX_CAP_HANDLES (MAX_CAP_DATA / 4u)
#define MAX_CAP_CC (MAX_CAP_DATA / 4u)
#define MAX_TPM_PROPERTIES (MAX_CAP_DATA / 8u)
#define MAX_PCR_PROPERTIES (MAX_CAP_DATA / 8u)
#define MAX_ECC_CURVES (MAX_CAP_DATA / 2u)

/* Identity reported in the fixed properties: Bastion, not a simulator ("SW"). */
#define BASTION_MANUFACTURER 0x4253544Eu /* "BSTN" */
#define BASTION_VENDOR_1 0x42617374u	 /* "Bast" */
#define BASTION_VENDOR_2 0x696F6E20u	 /* "ion " */
#define BASTION_VENDOR_3 0x7654504Du	 /* "vTPM" */
#define BASTION_FIRMWARE_1 0x00000001u
#define BASTION_FIRMWARE_2 0x00000000u

/* The library revision implemented: 1.59 (its errata behaviour), 8 Nov 2019. */
#define SPEC_REVISION 159u
#define SPEC_DAY_OF_YEAR 312u
#define SPEC_YEAR 2019u

struct cap_alg {
	uint16_t alg;
	uint32_t attributes; /* TPMA_ALGORITHM */
};

/* The algorithms crypto/ implements, sorted by TPM_ALG_ID (TCG Algorithm Registry
 * attributes). Objects that use the asymmetric and symmetric ones arrive in later slices;
 * TestParms accepts exactly these. */
static const struct cap_alg algs[] = {
	{ TPM_ALG_RSA, TPMA_ALG_ASYMMETRIC | TPMA_ALG_OBJECT },
	{ TPM_ALG_SHA1, TPMA_ALG_HASH },
	{ TPM_ALG_HMAC, TPMA_ALG_HASH | TPMA_ALG_SIGNING },
	{ TPM_ALG_AES, TPMA_ALG_SYMMETRIC },
	{ TPM_ALG_MGF1, TPMA_ALG_HASH | TPMA_ALG_METHOD },
	{ TPM_ALG_KEYEDHASH, TPMA_ALG_HASH | TPMA_ALG_OBJECT },
	{ TPM_ALG_XOR, TPMA_ALG_SYMMETRIC | TPMA_ALG_HASH },
	{ TPM_ALG_SHA256, TPMA_ALG_HASH },
	{ TPM_ALG_SHA384, TPMA_ALG_HASH },
	{ TPM_ALG_SHA512, TPMA_ALG_HASH },
	{ TPM_ALG_NULL, 0 },
	{ TPM_ALG_RSASSA, TPMA_ALG_ASYMMETRIC | TPMA_ALG_SIGNING },
	{ TPM_ALG_RSAES, TPMA_ALG_ASYMMETRIC | TPMA_ALG_ENCRYPTING },
	{ TPM_ALG_RSAPSS, TPMA_ALG_ASYMMETRIC | TPMA_ALG_SIGNING },
	{ TPM_ALG_OAEP, TPMA_ALG_ASYMMETRIC | TPMA_ALG_ENCRYPTING },
	{ TPM_ALG_ECDSA, TPMA_ALG_ASYMMETRIC | TPMA_ALG_SIGNING },
	{ TPM_ALG_ECDH, TPMA_ALG_ASYMMETRIC | TPMA_ALG_METHOD },
	{ TPM_ALG_KDF1_SP800_56A, TPMA_ALG_HASH | TPMA_ALG_METHOD },
	{ TPM_ALG_KDF1_SP800_108, TPMA_ALG_HASH | TPMA_ALG_METHOD },
	{ TPM_ALG_ECC, TPMA_ALG_ASYMMETRIC | TPMA_ALG_OBJECT },
	{ TPM_ALG_SYMCIPHER, TPMA_ALG_OBJECT },
	{ TPM_ALG_CTR, TPMA_ALG_SYMMETRIC | TPMA_ALG_ENCRYPTING },
	{ TPM_ALG_CBC, TPMA_ALG_SYMMETRIC | TPMA_ALG_ENCRYPTING },
	{ TPM_ALG_CFB, TPMA_ALG_SYMMETRIC | TPMA_ALG_ENCRYPTING },
	{ TPM_ALG_ECB, TPMA_ALG_SYMMETRIC | TPMA_ALG_ENCRYPTING },
};

static const uint16_t curves[] = { TPM_ECC_NIST_P256, TPM_ECC_NIST_P384 };

/* Permanent handles that exist (sorted). */
static const uint32_t permanent_handles[] = {
	TPM_RH_OWNER, TPM_RH_NULL, TPM_RS_PW, TPM_RH_LOCKOUT, TPM_RH_ENDORSEMENT,
	TPM_RH_PLATFORM, TPM_RH_PLATFORM_NV,
};

/* Properties whose value depends on state. */
enum {
	PV_CONST,
	PV_COMMANDS,
	PV_STARTUP_CLEAR,
	PV_SESSIONS,	   /* loaded sessions */
	PV_SESSIONS_AVAIL, /* value minus the active sessions (a saved one keeps its slot) */
	PV_ACTIVE,	   /* active (loaded or saved) sessions */
	PV_OBJECTS_AVAIL,  /* value minus the loaded transient objects */
	PV_PERSISTENT,	   /* persistent objects (object.h) */
	PV_PERSISTENT_AVAIL, /* free persistent object slots */
	PV_PERMANENT,	   /* TPMA_PERMANENT (hierarchy.h, da.h) */
	PV_NV_INDICES,	   /* defined NV indices (nv.h) */
	PV_NV_COUNTERS,	   /* defined counter indices */
	PV_NV_AVAIL,	   /* free NV index slots */
	PV_DA,		   /* dictionary-attack values (da.h), by pt */
};

struct cap_prop {
	uint32_t pt;
	uint32_t value;
	uint8_t kind; /* PV_* */
};

/* TPM_PT values (Part 2 §6.13), sorted. Object/session/NV limits are the design targets of
 * the later slices (docs/vtpm.md). */
static const struct cap_prop props[] = {
	{ PT_FIXED + 0, 0x322E3000u, PV_CONST }, /* FAMILY_INDICATOR "2.0" */
	{ PT_FIXED + 1, 0, PV_CONST },		 /* LEVEL */
	{ PT_FIXED + 2, SPEC_REVISION, PV_CONST },
	{ PT_FIXED + 3, SPEC_DAY_OF_YEAR, PV_CONST },
	{ PT_FIXED + 4, SPEC_YEAR, PV_CONST },
	{ PT_FIXED + 5, BASTION_MANUFACTURER, PV_CONST },
	{ PT_FIXED + 6, BASTION_VENDOR_1, PV_CONST },
	{ PT_FIXED + 7, BASTION_VENDOR_2, PV_CONST },
	{ PT_FIXED + 8, BASTION_VENDOR_3, PV_CONST },
	{ PT_FIXED + 9, 0, PV_CONST },		   /* VENDOR_STRING_4 */
	{ PT_FIXED + 10, 0, PV_CONST },		   /* VENDOR_TPM_TYPE */
	{ PT_FIXED + 11, BASTION_FIRMWARE_1, PV_CONST },
	{ PT_FIXED + 12, BASTION_FIRMWARE_2, PV_CONST },
	{ PT_FIXED + 13, 1024, PV_CONST },	   /* INPUT_BUFFER */
	{ PT_FIXED + 14, VTPM_OBJECT_SLOTS, PV_CONST }, /* HR_TRANSIENT_MIN */
	{ PT_FIXED + 15, 7, PV_CONST },		   /* HR_PERSISTENT_MIN */
	{ PT_FIXED + 16, 3, PV_CONST },		   /* HR_LOADED_MIN */
	{ PT_FIXED + 17, 64, PV_CONST },	   /* ACTIVE_SESSIONS_MAX */
	{ PT_FIXED + 18, VTPM_NUM_PCRS, PV_CONST },  /* PCR_COUNT */
	{ PT_FIXED + 19, VTPM_PCR_SELECT_SIZE, PV_CONST }, /* PCR_SELECT_MIN */
	{ PT_FIXED + 20, 0xFFFF, PV_CONST },	   /* CONTEXT_GAP_MAX */
	{ PT_FIXED + 22, 0, PV_CONST },		   /* NV_COUNTERS_MAX */
	{ PT_FIXED + 23, VTPM_NV_INDEX_MAX, PV_CONST }, /* NV_INDEX_MAX */
	{ PT_FIXED + 24, 0x4, PV_CONST },	   /* MEMORY: objectCopiedToRam */
	{ PT_FIXED + 25, 4096, PV_CONST },	   /* CLOCK_UPDATE (ms) */
	{ PT_FIXED + 26, TPM_ALG_SHA256, PV_CONST }, /* CONTEXT_HASH */
	{ PT_FIXED + 27, TPM_ALG_AES, PV_CONST },    /* CONTEXT_SYM */
	{ PT_FIXED + 28, 256, PV_CONST },	   /* CONTEXT_SYM_SIZE */
	{ PT_FIXED + 29, 255, PV_CONST },	   /* ORDERLY_COUNT */
	{ PT_FIXED + 30, VTPM_MAX_COMMAND_SIZE, PV_CONST },
	{ PT_FIXED + 31, VTPM_MAX_RESPONSE_SIZE, PV_CONST },
	{ PT_FIXED + 32, VTPM_MAX_DIGEST, PV_CONST }, /* MAX_DIGEST */
	{ PT_FIXED + 35, 1, PV_CONST },		   /* PS_FAMILY_INDICATOR: PC Client */
	{ PT_FIXED + 36, 0, PV_CONST },		   /* PS_LEVEL */
	{ PT_FIXED + 37, 0x106, PV_CONST },	   /* PS_REVISION */
	{ PT_FIXED + 38, 0, PV_CONST },		   /* PS_DAY_OF_YEAR */
	{ PT_FIXED + 39, 0, PV_CONST },		   /* PS_YEAR */
	{ PT_FIXED + 40, 0, PV_CONST },		   /* SPLIT_MAX */
	{ PT_FIXED + 41, 0, PV_COMMANDS },	   /* TOTAL_COMMANDS */
	{ PT_FIXED + 42, 0, PV_COMMANDS },	   /* LIBRARY_COMMANDS */
	{ PT_FIXED + 43, 0, PV_CONST },		   /* VENDOR_COMMANDS */
	{ PT_FIXED + 44, VTPM_NV_BUFFER_MAX, PV_CONST }, /* NV_BUFFER_MAX */
	{ PT_FIXED + 45, 0, PV_CONST },		   /* MODES */
	{ PT_FIXED + 46, MAX_CAP_BUFFER, PV_CONST }, /* MAX_CAP_BUFFER */
	{ PT_VAR + 0, 0, PV_PERMANENT },	   /* PERMANENT */
	{ PT_VAR + 1, 0, PV_STARTUP_CLEAR },	   /* STARTUP_CLEAR */
	{ PT_VAR + 2, 0, PV_NV_INDICES },	   /* HR_NV_INDEX */
	{ PT_VAR + 3, 0, PV_SESSIONS },		   /* HR_LOADED */
	{ PT_VAR + 4, VTPM_SESSION_SLOTS, PV_SESSIONS_AVAIL }, /* HR_LOADED_AVAIL */
	{ PT_VAR + 5, 0, PV_ACTIVE },		   /* HR_ACTIVE */
	{ PT_VAR + 6, 64, PV_SESSIONS_AVAIL },	   /* HR_ACTIVE_AVAIL */
	{ PT_VAR + 7, VTPM_OBJECT_SLOTS, PV_OBJECTS_AVAIL }, /* HR_TRANSIENT_AVAIL */
	{ PT_VAR + 8, 0, PV_PERSISTENT },	   /* HR_PERSISTENT */
	{ PT_VAR + 9, 0, PV_PERSISTENT_AVAIL },   /* HR_PERSISTENT_AVAIL */
	{ PT_VAR + 10, 0, PV_NV_COUNTERS },	   /* NV_COUNTERS */
	{ PT_VAR + 11, 0, PV_NV_AVAIL },	   /* NV_COUNTERS_AVAIL (any free slot) */
	{ PT_VAR + 12, 0, PV_CONST },		   /* ALGORITHM_SET */
	{ PT_VAR + 13, 2, PV_CONST },		   /* LOADED_CURVES */
	{ PT_VAR + 14, 0, PV_DA },		   /* LOCKOUT_COUNTER */
	{ PT_VAR + 15, 0, PV_DA },		   /* MAX_AUTH_FAIL */
	{ PT_VAR + 16, 0, PV_DA },		   /* LOCKOUT_INTERVAL (s) */
	{ PT_VAR + 17, 0, PV_DA },		   /* LOCKOUT_RECOVERY (s) */
	{ PT_VAR + 18, 0, PV_CONST },		   /* NV_WRITE_RECOVERY */
	{ PT_VAR + 19, 0, PV_CONST },		   /* AUDIT_COUNTER_0 */
	{ PT_VAR + 20, 0, PV_CONST },		   /* AUDIT_COUNTER_1 */
};

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* TPM_PT_PCR tags (Part 2 §6.14) in order: SAVE, EXTEND_L0, RESET_L0, ... RESET_L4. */
#define TPM_PT_PCR_SAVE 0x00u
#define TPM_PT_PCR_EXTEND_L0 0x01u
#define TPM_PT_PCR_RESET_L4 0x0Au
#define TPM_PT_PCR_NO_INCREMENT 0x11u
#define TPM_PT_PCR_DRTM_RESET 0x12u
#define TPM_PT_PCR_POLICY 0x13u
#define TPM_PT_PCR_AUTH 0x14u

struct cap_query {
	uint32_t property;
	uint32_t count; /* already capped by the caller's propertyCount */
	struct mw *out;
	bool more;
};

typedef uint32_t (*cap_fn)(struct vtpm *t, struct cap_query *q);

/* Writes the list count now and patches it: the per-capability loops below share this. */
static size_t begin_list(struct cap_query *q)
{
	size_t at = q->out->off;

	mw_u32(q->out, 0);
	return at;
}

static uint32_t cap_algs(struct vtpm *t, struct cap_query *q)
{
	size_t at = begin_list(q);
	uint32_t n = 0;

	(void)t;
	for (unsigned int i = 0; i < ARRAY_COUNT(algs); i++) {
		if (algs[i].alg < q->property) {
			continue;
		}
		if (n == q->count || n == MAX_CAP_ALGS) {
			q->more = true;
			break;
		}
		mw_u16(q->out, algs[i].alg);
		mw_u32(q->out, algs[i].attributes);
		n++;
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

static uint32_t cap_handles(struct vtpm *t, struct cap_query *q)
{
	uint32_t ht = q->property >> 24;
	size_t at;
	uint32_t n = 0;

	if (ht != TPM_HT_PCR && ht != TPM_HT_NV_INDEX && ht != TPM_HT_HMAC_SESSION &&
	    ht != TPM_HT_POLICY_SESSION && ht != TPM_HT_PERMANENT && ht != TPM_HT_TRANSIENT &&
	    ht != TPM_HT_PERSISTENT) {
		return rc_param(TPM_RC_HANDLE, 2);
	}
	at = begin_list(q);
	if (ht == TPM_HT_PCR) {
		for (uint32_t h = q->property; h < VTPM_NUM_PCRS; h++) {
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, h);
			n++;
		}
	} else if (ht == TPM_HT_PERMANENT) {
		for (unsigned int i = 0; i < ARRAY_COUNT(permanent_handles); i++) {
			if (permanent_handles[i] < q->property) {
				continue;
			}
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, permanent_handles[i]);
			n++;
		}
	} else if (ht == TPM_HT_HMAC_SESSION) {
		/* TPM_HT_LOADED_SESSION (= TPM_HT_HMAC_SESSION, Part 2 §7.2): every loaded
		 * session, HMAC and policy, in handle order (HMAC handles sort first). */
		for (unsigned int k = 0; k < 2 * VTPM_SESSION_SLOTS; k++) {
			unsigned int i = k % VTPM_SESSION_SLOTS;
			uint32_t want = k < VTPM_SESSION_SLOTS ? TPM_HT_HMAC_SESSION
								: TPM_HT_POLICY_SESSION;
			uint32_t h;

			if (!t->sessions[i].used || t->sessions[i].saved) {
				continue;
			}
			h = vtpm_session_handle(t, i);
			if (h >> 24 != want || h < q->property) {
				continue;
			}
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, h);
			n++;
		}
	} else if (ht == TPM_HT_TRANSIENT) {
		/* The loaded transient objects (sequence objects), in handle order. */
		for (unsigned int i = 0; i < VTPM_OBJECT_SLOTS; i++) {
			uint32_t h = vtpm_object_handle(i);

			if (!t->objects[i].used || h < q->property) {
				continue;
			}
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, h);
			n++;
		}
	} else if (ht == TPM_HT_POLICY_SESSION) {
		/* TPM_HT_SAVED_SESSION (= TPM_HT_POLICY_SESSION, Part 2 §7.2): every saved
		 * session, HMAC and policy, in slot order, from the slot index in property. */
		for (unsigned int i = 0; i < VTPM_SESSION_SLOTS; i++) {
			if (!t->sessions[i].used || !t->sessions[i].saved ||
			    i < (q->property & 0x00FFFFFFu)) {
				continue;
			}
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, vtpm_session_handle(t, i));
			n++;
		}
	}
	if (ht == TPM_HT_NV_INDEX) {
		/* The defined NV indices in handle order (nv.h). */
		const struct vtpm_nv_index *x = vtpm_nv_next(t, q->property);

		for (; x != NULL; x = x->handle == 0x01FFFFFFu ? NULL
							       : vtpm_nv_next(t, x->handle + 1u)) {
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, x->handle);
			n++;
		}
	}
	if (ht == TPM_HT_PERSISTENT) {
		/* The persistent objects in handle order (object.h). */
		for (uint32_t h = vtpm_persistent_next(t, q->property); h != 0;
		     h = h == 0x81FFFFFFu ? 0 : vtpm_persistent_next(t, h + 1u)) {
			if (n == q->count || n == MAX_CAP_HANDLES) {
				q->more = true;
				break;
			}
			mw_u32(q->out, h);
			n++;
		}
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

static uint32_t cap_commands(struct vtpm *t, struct cap_query *q)
{
	size_t at = begin_list(q);
	uint32_t n = 0;

	(void)t;
	for (unsigned int i = 0; i < vtpm_command_count; i++) {
		if (vtpm_commands[i].cc < q->property) {
			continue;
		}
		if (n == q->count || n == MAX_CAP_CC) {
			q->more = true;
			break;
		}
		mw_u32(q->out, vtpm_command_attributes(&vtpm_commands[i]));
		n++;
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

/* TPM_CAP_PP_COMMANDS and TPM_CAP_AUDIT_COMMANDS: no command needs physical presence and
 * none is audited. */
static uint32_t cap_empty_cc(struct vtpm *t, struct cap_query *q)
{
	(void)t;
	mw_u32(q->out, 0);
	return TPM_RC_SUCCESS;
}

static uint32_t cap_pcrs(struct vtpm *t, struct cap_query *q)
{
	/* The whole allocation in one answer; property is not used (Part 3 §30.2.1). */
	mw_u32(q->out, VTPM_NUM_HASHES);
	for (unsigned int b = 0; b < VTPM_NUM_HASHES; b++) {
		uint8_t bits = vtpm_pcr_bank_allocated(t, b) ? 0xFF : 0x00;

		mw_u16(q->out, vtpm_hash_info(b)->alg);
		mw_u8(q->out, VTPM_PCR_SELECT_SIZE);
		for (unsigned int i = 0; i < VTPM_PCR_SELECT_SIZE; i++) {
			mw_u8(q->out, bits);
		}
	}
	return TPM_RC_SUCCESS;
}

static uint32_t prop_value(const struct vtpm *t, const struct cap_prop *p)
{
	if (p->kind == PV_COMMANDS) {
		return vtpm_command_count;
	}
	if (p->kind == PV_STARTUP_CLEAR) {
		/* phEnable, shEnable, ehEnable, phEnableNV; orderly (bit 31). */
		return (t->ps.hier.ph_enable ? TPMA_STARTUP_CLEAR_PH_ENABLE : 0u) |
		       (t->ps.hier.sh_enable ? TPMA_STARTUP_CLEAR_SH_ENABLE : 0u) |
		       (t->ps.hier.eh_enable ? TPMA_STARTUP_CLEAR_EH_ENABLE : 0u) |
		       (t->ps.hier.ph_enable_nv ? TPMA_STARTUP_CLEAR_PH_ENABLE_NV : 0u) |
		       (t->orderly ? TPMA_STARTUP_CLEAR_ORDERLY : 0u);
	}
	if (p->kind == PV_PERMANENT) {
		return (t->ps.hier.auth_size[VTPM_AUTH_OWNER] ? TPMA_PERMANENT_OWNER_AUTH_SET : 0u) |
		       (t->ps.hier.auth_size[VTPM_AUTH_ENDORSEMENT]
				? TPMA_PERMANENT_ENDORSEMENT_AUTH_SET
				: 0u) |
		       (t->ps.hier.auth_size[VTPM_AUTH_LOCKOUT] ? TPMA_PERMANENT_LOCKOUT_AUTH_SET
								: 0u) |
		       (t->ps.hier.disable_clear ? TPMA_PERMANENT_DISABLE_CLEAR : 0u) |
		       (vtpm_da_in_lockout(t) ? TPMA_PERMANENT_IN_LOCKOUT : 0u) |
		       TPMA_PERMANENT_TPM_GENERATED_EPS;
	}
	if (p->kind == PV_NV_INDICES || p->kind == PV_NV_COUNTERS) {
		return vtpm_nv_count(t, p->kind == PV_NV_COUNTERS);
	}
	if (p->kind == PV_NV_AVAIL) {
		return VTPM_NV_INDICES - vtpm_nv_count(t, false);
	}
	if (p->kind == PV_DA) {
		return p->pt == PT_VAR + 14   ? vtpm_da_failed_tries(t)
		       : p->pt == PT_VAR + 15 ? t->ps.da.max_tries
		       : p->pt == PT_VAR + 16 ? t->ps.da.recovery_time
					      : t->ps.da.lockout_recovery;
	}
	if (p->kind == PV_SESSIONS) {
		return vtpm_session_count(t);
	}
	if (p->kind == PV_SESSIONS_AVAIL) {
		return p->value - vtpm_session_active_count(t);
	}
	if (p->kind == PV_ACTIVE) {
		return vtpm_session_active_count(t);
	}
	if (p->kind == PV_OBJECTS_AVAIL) {
		return p->value - vtpm_object_count(t);
	}
	if (p->kind == PV_PERSISTENT) {
		return vtpm_persistent_count(t);
	}
	if (p->kind == PV_PERSISTENT_AVAIL) {
		return VTPM_PERSISTENT_SLOTS - vtpm_persistent_count(t);
	}
	return p->value;
}

static uint32_t cap_properties(struct vtpm *t, struct cap_query *q)
{
	size_t at = begin_list(q);
	uint32_t n = 0;

	for (unsigned int i = 0; i < ARRAY_COUNT(props); i++) {
		if (props[i].pt < q->property) {
			continue;
		}
		if (n == q->count || n == MAX_TPM_PROPERTIES) {
			q->more = true;
			break;
		}
		mw_u32(q->out, props[i].pt);
		mw_u32(q->out, prop_value(t, &props[i]));
		n++;
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

/* The PCR set a TPM_PT_PCR tag describes (pcr.h rules), as a 24-bit mask. */
static uint32_t pcr_property_mask(uint32_t tag)
{
	uint32_t mask = 0;

	for (uint32_t p = 0; p < VTPM_NUM_PCRS; p++) {
		bool in = false;

		if (tag == TPM_PT_PCR_SAVE) {
			in = true;
		} else if (tag >= TPM_PT_PCR_EXTEND_L0 && tag <= TPM_PT_PCR_RESET_L4) {
			uint8_t locality = (uint8_t)((tag - 1u) / 2u);

			in = (tag & 1u) ? vtpm_pcr_may_extend(p, locality)
					: vtpm_pcr_may_reset(p, locality);
		} else if (tag == TPM_PT_PCR_NO_INCREMENT) {
			in = p == 16 || p == 21 || p == 22 || p == 23;
		} else if (tag == TPM_PT_PCR_DRTM_RESET) {
			in = p >= 17 && p <= 22;
		}
		mask |= in ? 1u << p : 0u;
	}
	return mask;
}

static const uint8_t pcr_tags[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
	TPM_PT_PCR_NO_INCREMENT, TPM_PT_PCR_DRTM_RESET, TPM_PT_PCR_POLICY, TPM_PT_PCR_AUTH,
};

static uint32_t cap_pcr_properties(struct vtpm *t, struct cap_query *q)
{
	size_t at = begin_list(q);
	uint32_t n = 0;

	(void)t;
	for (unsigned int i = 0; i < ARRAY_COUNT(pcr_tags); i++) {
		uint32_t mask;

		if (pcr_tags[i] < q->property) {
			continue;
		}
		if (n == q->count || n == MAX_PCR_PROPERTIES) {
			q->more = true;
			break;
		}
		mask = pcr_property_mask(pcr_tags[i]);
		mw_u32(q->out, pcr_tags[i]);
		mw_u8(q->out, VTPM_PCR_SELECT_SIZE);
		mw_u8(q->out, (uint8_t)mask);
		mw_u8(q->out, (uint8_t)(mask >> 8));
		mw_u8(q->out, (uint8_t)(mask >> 16));
		n++;
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

static uint32_t cap_curves(struct vtpm *t, struct cap_query *q)
{
	size_t at = begin_list(q);
	uint32_t n = 0;

	(void)t;
	for (unsigned int i = 0; i < ARRAY_COUNT(curves); i++) {
		if (curves[i] < q->property) {
			continue;
		}
		if (n == q->count || n == MAX_ECC_CURVES) {
			q->more = true;
			break;
		}
		mw_u16(q->out, curves[i]);
		n++;
	}
	mw_patch_u32(q->out, at, n);
	return TPM_RC_SUCCESS;
}

static const struct {
	uint32_t cap;
	cap_fn fn;
} caps[] = {
	{ TPM_CAP_ALGS, cap_algs },
	{ TPM_CAP_HANDLES, cap_handles },
	{ TPM_CAP_COMMANDS, cap_commands },
	{ TPM_CAP_PP_COMMANDS, cap_empty_cc },
	{ TPM_CAP_AUDIT_COMMANDS, cap_empty_cc },
	{ TPM_CAP_PCRS, cap_pcrs },
	{ TPM_CAP_TPM_PROPERTIES, cap_properties },
	{ TPM_CAP_PCR_PROPERTIES, cap_pcr_properties },
	{ TPM_CAP_ECC_CURVES, cap_curves },
};

uint32_t vtpm_cmd_get_capability(struct vtpm *t, struct vtpm_cmd *c)
{
	struct cap_query q;
	size_t avail = mr_remaining(c->in);
	uint32_t cap = mr_u32(c->in);
	size_t more_at;
	uint32_t rc;

	q.property = mr_u32(c->in);
	q.count = mr_u32(c->in);
	q.out = c->out;
	q.more = false;
	if (c->in->rc != TPM_RC_SUCCESS) {
		/* Which field ran out: 4 bytes each, in order. */
		return rc_param(c->in->rc, avail < 4 ? 1 : avail < 8 ? 2 : 3);
	}
	rc = cmd_params_end(c);
	if (rc != TPM_RC_SUCCESS) {
		return rc;
	}
	for (unsigned int i = 0; i < ARRAY_COUNT(caps); i++) {
		if (caps[i].cap != cap) {
			continue;
		}
		more_at = c->out->off;
		mw_u8(c->out, TPM_NO);
		mw_u32(c->out, cap);
		rc = caps[i].fn(t, &q);
		if (rc != TPM_RC_SUCCESS) {
			return rc;
		}
		if (q.more && !c->out->overflow) {
			c->out->p[more_at] = TPM_YES;
		}
		return TPM_RC_SUCCESS;
	}
	return rc_param(TPM_RC_VALUE, 1);
}
