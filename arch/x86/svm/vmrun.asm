; One guest entry with VMRUN (AMD APM vol 2, 15.5 and 15.5.1).
;
; Exported symbol (C view, arch/x86/svm/svm_internal.h):
;   void svm_vmrun(uint64_t vmcb_pa, uint64_t host_save_pa, struct svm_gprs *gprs);
;     Loads the guest GPRs that VMRUN does not (all but RAX and RSP, which live in the VMCB)
;     from gprs, swaps the state VMLOAD/VMSAVE cover (FS, GS, TR, LDTR, KernelGSBase, STAR...)
;     between the host save page and the VMCB, runs the guest until #VMEXIT, and stores the
;     guest GPRs back into gprs. Returns with the host's registers and GIF = 1.
; Assumptions: EFER.SVME = 1, VM_HSAVE_PA set, interrupts disabled (IF = 0); the VMCB passed
; the consistency checks or VMRUN exits at once with VMEXIT_INVALID (reported in the VMCB).
; Faults: #GP if SVM is off or an address is bad (a Bastion bug: panics through the IDT).

global svm_vmrun

section .text
bits 64

; Offsets in struct svm_gprs (svm_internal.h): rbx rcx rdx rsi rdi rbp r8..r15.
%define G_RBX 0
%define G_RCX 8
%define G_RDX 16
%define G_RSI 24
%define G_RDI 32
%define G_RBP 40
%define G_R8 48
%define G_R9 56
%define G_R10 64
%define G_R11 72
%define G_R12 80
%define G_R13 88
%define G_R14 96
%define G_R15 104

svm_vmrun:
	push rbp
	mov rbp, rsp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdx			; gprs
	push rdi			; vmcb_pa
	push rsi			; host_save_pa

	clgi				; no interrupts or NMIs between the two state swaps
	mov rax, rsi
	vmsave				; host FS/GS/TR/LDTR/... -> host save page
	mov rax, rdi
	vmload				; guest FS/GS/TR/LDTR/... <- VMCB

	mov rax, rdx
	mov rbx, [rax + G_RBX]
	mov rcx, [rax + G_RCX]
	mov rdx, [rax + G_RDX]
	mov rsi, [rax + G_RSI]
	mov rdi, [rax + G_RDI]
	mov rbp, [rax + G_RBP]
	mov r8, [rax + G_R8]
	mov r9, [rax + G_R9]
	mov r10, [rax + G_R10]
	mov r11, [rax + G_R11]
	mov r12, [rax + G_R12]
	mov r13, [rax + G_R13]
	mov r14, [rax + G_R14]
	mov r15, [rax + G_R15]
	mov rax, [rsp + 8]		; vmcb_pa
	vmrun
	; #VMEXIT: RSP, RAX and the host state VMRUN saved are back; the other GPRs are the guest's.
	mov rax, [rsp + 16]		; gprs
	mov [rax + G_RBX], rbx
	mov [rax + G_RCX], rcx
	mov [rax + G_RDX], rdx
	mov [rax + G_RSI], rsi
	mov [rax + G_RDI], rdi
	mov [rax + G_RBP], rbp
	mov [rax + G_R8], r8
	mov [rax + G_R9], r9
	mov [rax + G_R10], r10
	mov [rax + G_R11], r11
	mov [rax + G_R12], r12
	mov [rax + G_R13], r13
	mov [rax + G_R14], r14
	mov [rax + G_R15], r15
	mov rax, [rsp + 8]
	vmsave				; guest FS/GS/TR/... -> VMCB
	mov rax, [rsp]
	vmload				; host FS/GS/TR/... <- host save page
	stgi

	add rsp, 24
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
