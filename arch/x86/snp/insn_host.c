/*
 * Host-test backend slot for arch/x86/snp/insn.h. Built only into the host unit tests
 * (HOST_PORTABLE_SRCS); the kernel executes the real instructions instead.
 */
#include "arch/x86/snp/insn.h"

#include <stddef.h>

#include "kernel/panic.h"

#ifdef BASTION_HOST

static const struct snp_hw_ops *snp_hw_backend;

void snp_hw_set_ops(const struct snp_hw_ops *ops)
{
	snp_hw_backend = ops;
}

const struct snp_hw_ops *snp_hw_ops_get(void)
{
	if (snp_hw_backend == NULL) {
		panic("snp: no hardware backend installed (host test without the mock?)");
	}
	return snp_hw_backend;
}

#endif
