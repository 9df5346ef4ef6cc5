/* SNP secrets page (see secrets.h). */
#include "arch/x86/snp/secrets.h"

#include <stdbool.h>

#include "kernel/check.h"
#include "kernel/string.h"
#include "mm/addr.h"

#define SECRETS_SVSM_AREA_OFF 0x140u
#define SECRETS_SVSM_AREA_SIZE 0x20u

static struct snp_secrets_page secrets_copy;
static bool secrets_valid;

enum snp_result secrets_parse(const void *src, size_t len, struct snp_secrets_page *out)
{
	const uint8_t *area = NULL;

	if (len < SECRETS_PAGE_SIZE) {
		return SNP_ERR_SECRETS_SHORT;
	}
	bastion_memcpy(out, src, sizeof(*out));
	area = (const uint8_t *)out + SECRETS_SVSM_AREA_OFF;
	for (size_t i = 0; i < SECRETS_SVSM_AREA_SIZE; i++) {
		if (area[i] != 0) {
			mem_wipe(out, sizeof(*out));
			return SNP_ERR_SECRETS_SVSM_AREA;
		}
	}
	return SNP_OK;
}

enum snp_result secrets_init(const void *src, size_t len)
{
	enum snp_result r = SNP_OK;

	mem_wipe(&secrets_copy, sizeof(secrets_copy));
	secrets_valid = false;
	r = secrets_parse(src, len, &secrets_copy);
	if (r == SNP_OK) {
		secrets_valid = true;
	}
	return r;
}

static bool secrets_key_is_zero(const uint8_t *key)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < SECRETS_VMPCK_SIZE; i++) {
		acc = (uint8_t)(acc | key[i]);
	}
	return acc == 0;
}

const uint8_t *secrets_vmpck(unsigned int index)
{
	if (!secrets_valid || index >= SECRETS_VMPCK_COUNT ||
	    secrets_key_is_zero(secrets_copy.vmpck[index])) {
		return NULL;
	}
	return secrets_copy.vmpck[index];
}

const struct snp_secrets_page *secrets_bastion_copy(void)
{
	return secrets_valid ? &secrets_copy : NULL;
}

static bool secrets_info_ok(const struct secrets_svsm_info *info)
{
	uint64_t end = 0;

	if (info->guest_vmpl == 0 || info->guest_vmpl > 3 || info->size == 0 ||
	    !addr_is_aligned(info->base, PAGE_SIZE) || !addr_is_aligned(info->size, PAGE_SIZE) ||
	    !addr_is_aligned(info->caa, PAGE_SIZE) ||
	    !addr_range_end(info->base, info->size, &end)) {
		return false;
	}
	return !addr_ranges_overlap(info->base, info->size, info->caa, PAGE_SIZE);
}

enum snp_result secrets_build_guest_copy(const struct snp_secrets_page *src,
					 const struct secrets_svsm_info *info,
					 struct snp_secrets_page *out)
{
	CHECK(out != src);
	if (!secrets_info_ok(info)) {
		mem_wipe(out, sizeof(*out));
		return SNP_ERR_INVALID_ARG;
	}
	bastion_memcpy(out, src, sizeof(*out));
	for (unsigned int i = 0; i < info->guest_vmpl; i++) {
		mem_wipe(out->vmpck[i], sizeof(out->vmpck[i]));
	}
	out->svsm_base = info->base;
	out->svsm_size = info->size;
	out->svsm_caa = info->caa;
	out->svsm_max_version = SECRETS_SVSM_MAX_VERSION;
	out->svsm_guest_vmpl = info->guest_vmpl;
	bastion_memset(out->reserved_15d, 0, sizeof(out->reserved_15d));
	return SNP_OK;
}

void secrets_wipe_vmpck(unsigned int index)
{
	if (index < SECRETS_VMPCK_COUNT) {
		mem_wipe(secrets_copy.vmpck[index], sizeof(secrets_copy.vmpck[index]));
	}
}

void secrets_wipe_keys(void)
{
	mem_wipe(secrets_copy.vmpck, sizeof(secrets_copy.vmpck));
}
