/*
 * NV indices: see nv.h. No index can be defined until NV_DefineSpace exists, so every NV
 * handle is undefined (TPM_RC_HANDLE).
 */
#include "vtpm/nv.h"

#include "vtpm/rc.h"

uint32_t vtpm_nv_check(struct vtpm *t, uint32_t h, unsigned int n)
{
	(void)t;
	(void)h;
	return rc_handle(TPM_RC_HANDLE, n);
}

size_t vtpm_nv_auth(struct vtpm *t, uint32_t h, const uint8_t **auth)
{
	(void)t;
	(void)h;
	*auth = NULL;
	return 0;
}

size_t vtpm_nv_policy(struct vtpm *t, uint32_t h, const uint8_t **policy)
{
	(void)t;
	(void)h;
	*policy = NULL;
	return 0;
}

size_t vtpm_nv_name(struct vtpm *t, uint32_t h, uint8_t *name)
{
	(void)t;
	(void)h;
	(void)name;
	return 0;
}
