#include "arch/x86/qemu_exit.h"

#include "arch/x86/cpu.h"
#include "kernel/image_layout.h"

void arch_qemu_exit(bool success)
{
	cpu_outl(BASTION_QEMU_EXIT_PORT,
		 success ? BASTION_QEMU_EXIT_SUCCESS : BASTION_QEMU_EXIT_FAILURE);
	cpu_halt_forever();
}

void arch_qemu_exit_value(uint32_t value)
{
	cpu_outl(BASTION_QEMU_EXIT_PORT, value);
	cpu_halt_forever();
}
