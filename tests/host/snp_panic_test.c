/*
 * The SNP panic hook (arch/x86/snp/snp_panic.c): VMPCKs wiped first, then one termination
 * request through the GHCB MSR protocol with reason set 1, code 0x10 (MSR value 0x101100),
 * repeated after HLT if the host resumes the vCPU. (kernel/panic.c's hook slot itself is
 * kernel-only: tests/host/host_panic.c replaces panic.c on the host.)
 */
#include <string.h>

#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/secrets.h"
#include "arch/x86/snp/snp_panic.h"
#include "tests/host/host_panic.h"
#include "tests/host/snp_mock_hv.h"
#include "tests/ktest/ktest.h"

static uint8_t panic_secrets[SECRETS_PAGE_SIZE];

/* At the VMGEXIT of the termination request: were all keys already gone? */
static void hook_keys_at_exit(struct snp_mock_hv *hv, unsigned int exit_index, uint64_t req,
			      uint64_t *resp)
{
	(void)exit_index;
	(void)req;
	(void)resp;
	hv->script[0] = 1;
	for (unsigned int i = 0; i < SECRETS_VMPCK_COUNT; i++) {
		if (secrets_vmpck(i) != NULL) {
			hv->script[0] = 0;
		}
	}
}

KTEST(snp_panic, cleanup_wipes_keys_then_terminates)
{
	const struct snp_secrets_page *mine = NULL;

	snp_mock_hv_reset();
	memset(panic_secrets, 0, sizeof(panic_secrets));
	for (unsigned int i = 0; i < SECRETS_VMPCK_COUNT; i++) {
		memset(panic_secrets + 0x20 + 32 * i, 0x11 * (int)(i + 1), 32);
	}
	ASSERT_EQ(secrets_init(panic_secrets, sizeof(panic_secrets)), SNP_OK);
	ASSERT_NOT_NULL(secrets_vmpck(0));
	snp_mock.msr_hook = hook_keys_at_exit;

	EXPECT_PANIC(snp_panic_cleanup()); /* the mock's HLT ends the never-returning loop */

	EXPECT_EQ(snp_mock.script[0], 1); /* keys were wiped before the request went out */
	for (unsigned int i = 0; i < SECRETS_VMPCK_COUNT; i++) {
		EXPECT_NULL(secrets_vmpck(i));
	}
	mine = secrets_bastion_copy();
	ASSERT_NOT_NULL(mine);
	for (unsigned int i = 0; i < SECRETS_VMPCK_COUNT; i++) {
		for (unsigned int b = 0; b < SECRETS_VMPCK_SIZE; b++) {
			EXPECT_EQ(mine->vmpck[i][b], 0);
		}
	}
	EXPECT_TRUE(snp_mock.terminated);
	EXPECT_EQ(snp_mock.term_request, 0x101100ull);
	EXPECT_EQ(ghcb_msr_terminate_req(GHCB_TERM_SET_BASTION, BASTION_TERM_GENERAL),
		  0x101100ull);
	ASSERT_EQ(snp_mock.msr_write_count, 1);
	EXPECT_EQ(snp_mock.msr_writes[0], 0x101100ull);
	EXPECT_EQ(snp_mock.exit_count, 1);
	EXPECT_FALSE(snp_mock.exits[0].nae); /* MSR protocol only, never the GHCB page */
	EXPECT_EQ(snp_mock.halt_count, 1);
}

KTEST(snp_panic, cleanup_is_safe_without_secrets)
{
	snp_mock_hv_reset();
	EXPECT_EQ(secrets_init(panic_secrets, 16), SNP_ERR_SECRETS_SHORT); /* no copy held */
	EXPECT_NULL(secrets_bastion_copy());
	EXPECT_PANIC(snp_panic_cleanup());
	EXPECT_TRUE(snp_mock.terminated);
	EXPECT_EQ(snp_mock.term_request, 0x101100ull);
}
