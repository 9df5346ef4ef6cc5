/* Panic cleanup on SEV-SNP (see snp_panic.h). */
#include "arch/x86/snp/snp_panic.h"

#include "arch/x86/snp/ghcb_msr.h"
#include "arch/x86/snp/secrets.h"

void snp_panic_cleanup(void)
{
	secrets_wipe_keys();
	ghcb_msr_terminate(GHCB_TERM_SET_BASTION, BASTION_TERM_GENERAL);
}
