#include "kernel/layout.h"
#include "kernel/platform.h"

#include "arch/x86/snp/snp_platform.h"
#include "arch/x86/svm/svm.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"

static const struct platform_ops *platform_selected __ro_after_init;

void platform_init(uint32_t platform_type)
{
	if (platform_type == BASTION_PLATFORM_SNP) {
		platform_selected = &snp_platform_ops;
		if (platform_selected->guest_memory_init() != 0) {
			panic("cannot give the guest VMPL its firmware image");
		}
		return;
	}
	if (!svm_supported()) {
		panic("native platform needs AMD-V with nested paging and next-RIP saving "
		      "(QEMU: -cpu max or an AMD host with nested SVM)");
	}
	platform_selected = &svm_platform_ops;
	if (platform_selected->guest_memory_init() != 0) {
		panic("no memory for the guest's nested page tables");
	}
}

const struct platform_ops *platform(void)
{
	return platform_selected;
}
