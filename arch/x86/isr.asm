; Exception entry stubs.
;
; Exported symbols (C view):
;   extern const u64 isr_stub_table[32];   entry points for vectors 0..31, used by cpu_tables.c
;   void arch_exception_dispatch(struct trap_frame *frame);   (imported) arch/x86/exception.c
;
; Each stub makes the stack uniform (pushes a zero error code where the CPU pushes none, then
; the vector number) and jumps to isr_common, which saves the GPRs in struct trap_frame order
; (arch/x86/trap_frame.h), calls the C dispatcher with RDI = frame, restores and IRETQs.
; Stack alignment: the CPU aligns RSP to 16 before pushing its 5-qword frame; error code,
; vector and 15 GPRs bring the total to 176 bytes, so RSP is 16-byte aligned at the call.

extern arch_exception_dispatch
global isr_stub_table

section .text
bits 64

%macro ISR_NOERR 1
isr_%1:
	push qword 0
	push qword %1
	jmp isr_common
%endmacro

%macro ISR_ERR 1
isr_%1:
	push qword %1
	jmp isr_common
%endmacro

; Vectors that push an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17,
; #CP 21, #VC 29, #SX 30 (APM vol 2, table 8-1).
%assign v 0
%rep 32
%if v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30
	ISR_ERR v
%else
	ISR_NOERR v
%endif
%assign v v + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	cld
	mov rdi, rsp
	call arch_exception_dispatch
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector and error code
	iretq

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v + 1
%endrep
