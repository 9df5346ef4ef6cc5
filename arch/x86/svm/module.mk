# arch/x86/svm: the native platform (AMD-V with nested paging).
KERNEL_ASM_SRCS += arch/x86/svm/vmrun.asm
KERNEL_C_SRCS += arch/x86/svm/svm.c arch/x86/svm/insn_len.c arch/x86/svm/msr_emul.c \
	arch/x86/svm/svm_core.c arch/x86/svm/fwcfg_virt.c
HOST_PORTABLE_SRCS += arch/x86/svm/insn_len.c arch/x86/svm/msr_emul.c
