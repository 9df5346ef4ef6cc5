/* In-kernel side of ktest: runs inside the test image only (CONFIG_KTEST). */
#pragma once

/*
 * Runs the tests selected by the fw_cfg file "opt/bastion/ktest" (all default tests if it is
 * absent), prints "N passed, N failed", and exits QEMU with the success status only if at
 * least one test ran and none failed. Never returns.
 */
__attribute__((noreturn)) void ktest_kernel_main(void);
