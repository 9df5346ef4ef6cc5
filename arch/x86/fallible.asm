; Memory accesses that may fault and must not crash Bastion.
;
; Exported symbols (C view, arch/x86/fallible.h):
;   uint64_t arch_copy_fallible(void *dst, const void *src, size_t len);
;       Copies len bytes with REP MOVSB. Returns 0, or vector + 1 of the fault that stopped the
;       copy (the destination then holds an unspecified prefix of the data).
;   uint64_t arch_probe_write(volatile void *addr, uint8_t value);
;       Stores one byte. Returns 0, or vector + 1 if the store faulted.
;   uint64_t arch_probe_read(const volatile void *addr);
;       Loads one byte. Returns 0, or vector + 1 if the load faulted.
;   uint64_t arch_probe_exec(const void *addr);
;       Calls addr (which must hold code that returns, e.g. a single RET). Returns 0 if it
;       returned, or vector + 1 if fetching from addr faulted (#PF with the I/D bit).
;
; How: each faulting instruction has an exception-table entry (arch/x86/extable.inc); the
; exception dispatcher resumes at the fixup with RAX = vector + 1 instead of panicking.
; Assumptions: called from C at CPL0 with a valid stack; clobbers only caller-saved registers.

%include "arch/x86/extable.inc"

global arch_copy_fallible
global arch_probe_write
global arch_probe_read
global arch_probe_exec

section .text
bits 64

arch_copy_fallible:
	mov rcx, rdx
.copy:
	rep movsb
	xor eax, eax
.fixup:
	ret
	EXTABLE_INSN arch_copy_fallible.copy, arch_copy_fallible.fixup

arch_probe_write:
.store:
	mov [rdi], sil
	xor eax, eax
.fixup:
	ret
	EXTABLE_INSN arch_probe_write.store, arch_probe_write.fixup

arch_probe_read:
.load:
	movzx eax, byte [rdi]
	xor eax, eax
.fixup:
	ret
	EXTABLE_INSN arch_probe_read.load, arch_probe_read.fixup

arch_probe_exec:
	push rbp
	mov rbp, rsp
	call rdi
.returned:
	xor eax, eax
.fixup:
	pop rbp
	ret
	EXTABLE_CALL arch_probe_exec.returned, arch_probe_exec.fixup
