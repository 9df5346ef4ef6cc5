/* The SNP secrets page: parsing, the guest's copy, key wiping (ABI reference 1.2). */
#include <string.h>

#include "arch/x86/snp/secrets.h"
#include "tests/ktest/ktest.h"

static uint8_t psp_page[SECRETS_PAGE_SIZE];
static struct snp_secrets_page guest_copy;
static struct snp_secrets_page parsed;

/* A PSP-style page: keys 0x11.., 0x22.., 0x33.., 0x44..; SVSM area zero. */
static void make_psp_page(void)
{
	memset(psp_page, 0, sizeof(psp_page));
	psp_page[0] = 3; /* version */
	memset(psp_page + 0x010, 0x77, 16); /* GOSVW */
	for (unsigned int i = 0; i < 4; i++) {
		memset(psp_page + 0x20 + 32 * i, 0x11 * (int)(i + 1), 32);
	}
	memset(psp_page + 0x0A0, 0x66, 96); /* guest OS area */
	psp_page[0x160] = 0x42;             /* TSC factor */
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != v) {
			return false;
		}
	}
	return true;
}

KTEST(snp_secrets, parse_checks_length_and_svsm_area)
{
	make_psp_page();
	EXPECT_EQ(secrets_parse(psp_page, 4095, &parsed), SNP_ERR_SECRETS_SHORT);
	ASSERT_EQ(secrets_parse(psp_page, sizeof(psp_page), &parsed), SNP_OK);
	EXPECT_EQ(parsed.version, 3);
	EXPECT_TRUE(all_bytes(parsed.vmpck[2], 32, 0x33));
	EXPECT_EQ(parsed.tsc_factor, 0x42);

	psp_page[0x15C] = 2; /* SVSM_GUEST_VMPL already set: not a fresh PSP page */
	EXPECT_EQ(secrets_parse(psp_page, sizeof(psp_page), &parsed), SNP_ERR_SECRETS_SVSM_AREA);
	EXPECT_TRUE(all_bytes((const uint8_t *)&parsed, sizeof(parsed), 0)); /* wiped */
	EXPECT_EQ(secrets_init(psp_page, sizeof(psp_page)), SNP_ERR_SECRETS_SVSM_AREA);
	EXPECT_NULL(secrets_vmpck(0));
	EXPECT_NULL(secrets_bastion_copy());
}

KTEST(snp_secrets, guest_copy_wipes_more_privileged_keys)
{
	struct secrets_svsm_info info = {
		.base = 0x7F000000ull, .size = 0x1000000ull, .caa = 0x1000ull, .guest_vmpl = 2
	};
	const struct snp_secrets_page *mine = NULL;
	uint8_t before[SECRETS_PAGE_SIZE];

	make_psp_page();
	ASSERT_EQ(secrets_init(psp_page, sizeof(psp_page)), SNP_OK);
	mine = secrets_bastion_copy();
	ASSERT_NOT_NULL(mine);
	memcpy(before, mine, sizeof(before));

	memset(&guest_copy, 0xEE, sizeof(guest_copy));
	ASSERT_EQ(secrets_build_guest_copy(mine, &info, &guest_copy), SNP_OK);
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[0], 32, 0));    /* VMPCK0: Bastion's key */
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[1], 32, 0));    /* VMPCK1 < guest VMPL */
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[2], 32, 0x33)); /* the guest's own key */
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[3], 32, 0x44));
	EXPECT_EQ(guest_copy.svsm_base, 0x7F000000ull);
	EXPECT_EQ(guest_copy.svsm_size, 0x1000000ull);
	EXPECT_EQ(guest_copy.svsm_caa, 0x1000ull);
	EXPECT_EQ(guest_copy.svsm_max_version, 1);
	EXPECT_EQ(guest_copy.svsm_guest_vmpl, 2);
	EXPECT_TRUE(all_bytes(guest_copy.reserved_15d, 3, 0));
	EXPECT_EQ(guest_copy.version, 3);
	EXPECT_TRUE(all_bytes(guest_copy.gosvw, 16, 0x77));
	EXPECT_TRUE(all_bytes(guest_copy.guest_os_area, 96, 0x66));
	EXPECT_EQ(guest_copy.tsc_factor, 0x42);
	/* Bastion's copy is untouched, keys included. */
	EXPECT_MEMEQ(before, mine, sizeof(before));
	EXPECT_NOT_NULL(secrets_vmpck(0));
	EXPECT_TRUE(all_bytes(secrets_vmpck(0), 32, 0x11));

	info.guest_vmpl = 1;
	ASSERT_EQ(secrets_build_guest_copy(mine, &info, &guest_copy), SNP_OK);
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[0], 32, 0));
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[1], 32, 0x22));
	info.guest_vmpl = 3;
	ASSERT_EQ(secrets_build_guest_copy(mine, &info, &guest_copy), SNP_OK);
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[2], 32, 0));
	EXPECT_TRUE(all_bytes(guest_copy.vmpck[3], 32, 0x44));
}

KTEST(snp_secrets, guest_copy_rejects_bad_svsm_info)
{
	struct secrets_svsm_info good = {
		.base = 0x7F000000ull, .size = 0x1000000ull, .caa = 0x1000ull, .guest_vmpl = 2
	};
	struct secrets_svsm_info bad = good;

	make_psp_page();
	ASSERT_EQ(secrets_parse(psp_page, sizeof(psp_page), &parsed), SNP_OK);
	bad.guest_vmpl = 0;
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
	EXPECT_TRUE(all_bytes((const uint8_t *)&guest_copy, sizeof(guest_copy), 0));
	bad = good;
	bad.guest_vmpl = 4;
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
	bad = good;
	bad.size = 0;
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
	bad = good;
	bad.caa = 0x7F001000ull; /* calling area inside Bastion's region */
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
	bad = good;
	bad.base = 0xFFFFFFFFFFFFF000ull; /* wraps */
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
	bad = good;
	bad.caa = 0x1800;
	EXPECT_EQ(secrets_build_guest_copy(&parsed, &bad, &guest_copy), SNP_ERR_INVALID_ARG);
}

KTEST(snp_secrets, wipe_keys)
{
	make_psp_page();
	ASSERT_EQ(secrets_init(psp_page, sizeof(psp_page)), SNP_OK);
	ASSERT_NOT_NULL(secrets_vmpck(0));
	EXPECT_NULL(secrets_vmpck(4));

	secrets_wipe_vmpck(0); /* e.g. after an unexpected guest-message failure */
	EXPECT_NULL(secrets_vmpck(0));
	EXPECT_NOT_NULL(secrets_vmpck(1));
	secrets_wipe_vmpck(9); /* ignored */

	secrets_wipe_keys(); /* panic path */
	for (unsigned int i = 0; i < SECRETS_VMPCK_COUNT; i++) {
		EXPECT_NULL(secrets_vmpck(i));
		EXPECT_TRUE(all_bytes(secrets_bastion_copy()->vmpck[i], 32, 0));
	}
	/* Non-key fields survive. */
	EXPECT_EQ(secrets_bastion_copy()->version, 3);
}
