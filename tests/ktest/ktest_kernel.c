#include "tests/ktest/ktest_kernel.h"

#include "arch/x86/fw_cfg.h"
#include "arch/x86/qemu_exit.h"
#include "kernel/console.h"
#include "tests/ktest/ktest.h"

#define KTEST_FILTER_FW_CFG "opt/bastion/ktest"

void ktest_vprint(const char *fmt, va_list ap)
{
	console_vprintf(fmt, ap);
}

void ktest_kernel_main(void)
{
	static char filter[128];
	struct ktest_result result;

	if (!fw_cfg_read_file(KTEST_FILTER_FW_CFG, filter, sizeof(filter))) {
		filter[0] = '\0';
	}
	ktest_print("[ktest] running %s\n", filter[0] != '\0' ? filter : "all tests");
	ktest_run_all(filter, &result);
	arch_qemu_exit(result.failed == 0 && result.passed > 0);
}
