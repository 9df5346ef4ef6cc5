/* Handle validation and the entity interface (authValue, authPolicy, Name): see entity.h. */
#include "vtpm/entity.h"

#include "vtpm/hierarchy.h"
#include "vtpm/marshal.h"
#include "vtpm/nv.h"
#include "vtpm/object.h"
#include "vtpm/rc.h"
#include "vtpm/session.h"
#include "vtpm/state.h"
#include "vtpm/tpm2.h"

/* Permanent handles each hierarchy-typed kind accepts (Part 2 §9.5 - §9.11), as a bit set
 * over P(latform), O(wner), E(ndorsement), L(ockout), N(ull), V (PLATFORM_NV). */
#define P_ (1u << 0)
#define O_ (1u << 1)
#define E_ (1u << 2)
#define L_ (1u << 3)
#define N_ (1u << 4)
#define V_ (1u << 5)

static unsigned int permanent_bit(uint32_t h)
{
	switch (h) {
	case TPM_RH_PLATFORM:
		return P_;
	case TPM_RH_OWNER:
		return O_;
	case TPM_RH_ENDORSEMENT:
		return E_;
	case TPM_RH_LOCKOUT:
		return L_;
	case TPM_RH_NULL:
		return N_;
	case TPM_RH_PLATFORM_NV:
		return V_;
	default:
		return 0;
	}
}

/* The permanent handles a kind accepts (0: the kind takes no permanent handle). */
static unsigned int permanent_set(enum vtpm_handle_kind kind)
{
	switch (kind) {
	case VTPM_H_HIERARCHY:
		return P_ | O_ | E_;
	case VTPM_H_HIERARCHY_NULL:
		return P_ | O_ | E_ | N_;
	case VTPM_H_HIERARCHY_AUTH:
		return P_ | O_ | E_ | L_;
	case VTPM_H_ENABLES:
		return P_ | O_ | E_ | V_;
	case VTPM_H_PROVISION:
	case VTPM_H_NV_AUTH:
		return P_ | O_;
	case VTPM_H_CLEAR:
		return L_ | P_;
	case VTPM_H_LOCKOUT:
		return L_;
	case VTPM_H_PLATFORM:
		return P_;
	case VTPM_H_ENDORSEMENT:
		return E_;
	case VTPM_H_ENTITY:
		return P_ | O_ | E_ | L_;
	case VTPM_H_ENTITY_NULL:
		return P_ | O_ | E_ | L_ | N_;
	case VTPM_H_OBJECT_NULL:
	case VTPM_H_PCR_NULL:
		return N_;
	default:
		return 0;
	}
}

static uint32_t check_permanent(const struct vtpm *t, enum vtpm_handle_kind kind, uint32_t h,
				unsigned int n)
{
	if ((permanent_set(kind) & permanent_bit(h)) == 0) {
		return rc_handle(TPM_RC_VALUE, n);
	}
	/* A disabled hierarchy's handle cannot be used (Part 1 §13.5 "Hierarchy Control");
	 * TPMI_RH_ENABLES names the hierarchy to enable, so it takes disabled ones. */
	if (kind != VTPM_H_ENABLES && !vtpm_hierarchy_enabled(t, h)) {
		return rc_handle(TPM_RC_HIERARCHY, n);
	}
	return TPM_RC_SUCCESS;
}

static bool takes_objects(enum vtpm_handle_kind kind)
{
	return kind == VTPM_H_OBJECT || kind == VTPM_H_OBJECT_NULL || kind == VTPM_H_ENTITY ||
	       kind == VTPM_H_ENTITY_NULL;
}

static bool takes_nv(enum vtpm_handle_kind kind)
{
	return kind == VTPM_H_NV_INDEX || kind == VTPM_H_NV_AUTH || kind == VTPM_H_ENTITY ||
	       kind == VTPM_H_ENTITY_NULL;
}

static bool takes_pcrs(enum vtpm_handle_kind kind)
{
	return kind == VTPM_H_PCR || kind == VTPM_H_PCR_NULL || kind == VTPM_H_ENTITY ||
	       kind == VTPM_H_ENTITY_NULL;
}

static uint32_t check_session(struct vtpm *t, uint32_t h, unsigned int n)
{
	return vtpm_session_find(t, h) != NULL ? TPM_RC_SUCCESS : TPM_RC_REFERENCE_H0 + n - 1;
}

uint32_t vtpm_entity_check(struct vtpm *t, enum vtpm_handle_kind kind, uint32_t h,
			   unsigned int n)
{
	uint32_t ht = h >> 24;

	switch (ht) {
	case TPM_HT_PCR:
		if (takes_pcrs(kind) && h < VTPM_NUM_PCRS) {
			return TPM_RC_SUCCESS;
		}
		break;
	case TPM_HT_NV_INDEX:
		if (takes_nv(kind)) {
			return vtpm_nv_check(t, h, n);
		}
		break;
	case TPM_HT_HMAC_SESSION:
		if (kind == VTPM_H_CONTEXT) {
			return check_session(t, h, n);
		}
		break;
	case TPM_HT_POLICY_SESSION:
		if (kind == VTPM_H_CONTEXT || kind == VTPM_H_POLICY) {
			return check_session(t, h, n);
		}
		break;
	case TPM_HT_PERMANENT:
		return check_permanent(t, kind, h, n);
	case TPM_HT_TRANSIENT:
		if (takes_objects(kind) || kind == VTPM_H_CONTEXT) {
			return vtpm_object_check(t, h, n);
		}
		break;
	case TPM_HT_PERSISTENT:
		if (takes_objects(kind)) {
			return vtpm_object_check(t, h, n);
		}
		break;
	default:
		break;
	}
	return rc_handle(TPM_RC_VALUE, n);
}

size_t vtpm_auth_trim(const uint8_t *auth, size_t len)
{
	while (len > 0 && auth[len - 1] == 0) {
		len--;
	}
	return len;
}

size_t vtpm_entity_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	*auth = NULL;
	switch (h >> 24) {
	case TPM_HT_PERMANENT:
		return vtpm_hierarchy_auth(t, h, auth);
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT:
		return vtpm_object_auth(t, h, auth);
	case TPM_HT_NV_INDEX:
		return vtpm_nv_auth(t, h, auth);
	default:
		return 0; /* PCRs: the empty authValue (no PCR_SetAuthValue) */
	}
}

size_t vtpm_entity_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	*policy = NULL;
	switch (h >> 24) {
	case TPM_HT_PERMANENT:
		return vtpm_hierarchy_policy(t, h, policy);
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT:
		return vtpm_object_policy(t, h, policy);
	case TPM_HT_NV_INDEX:
		return vtpm_nv_policy(t, h, policy);
	default:
		return 0; /* PCRs: no PCR_SetAuthPolicy */
	}
}

size_t vtpm_entity_name(struct vtpm *t, uint32_t h, uint8_t *name)
{
	switch (h >> 24) {
	case TPM_HT_TRANSIENT:
	case TPM_HT_PERSISTENT:
		return vtpm_object_name(t, h, name);
	case TPM_HT_NV_INDEX:
		return vtpm_nv_name(t, h, name);
	default:
		/* PCRs, permanent handles and sessions: the handle (Part 1 §16 "Names"). */
		put_be32(name, h);
		return 4;
	}
}
