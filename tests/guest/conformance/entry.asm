; 64-bit entry of the conformance guest's C part (linked at PAYLOAD_VMA, copied there by
; reset.asm), and an IDT whose handlers report any CPU exception and end the VM with the
; failure status, so a fault shows up as a line instead of a silent triple fault.
%include "tests/guest/conformance/layout.inc"

extern conformance_main, guest_exception
global entry64

section .text.entry progbits alloc exec nowrite align=16
bits 64
entry64:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rsp, STACK_TOP
	call idt_init
	call conformance_main
.halt:
	cli
	hlt
	jmp .halt

; IDT entry i: 64-bit interrupt gate (type 0xE, present), CS = CODE64_SEL, handler stub i.
idt_init:
	lea rdi, [rel idt]
	lea rsi, [rel stubs]
	xor ecx, ecx
.next:
	mov rax, rsi
	mov [rdi], ax                   ; offset 15:0
	mov word [rdi + 2], CODE64_SEL
	mov word [rdi + 4], 0x8E00      ; IST 0, type 0xE, P
	shr rax, 16
	mov [rdi + 6], ax               ; offset 31:16
	shr rax, 16
	mov [rdi + 8], eax              ; offset 63:32
	mov dword [rdi + 12], 0
	add rdi, 16
	add rsi, STUB_SIZE
	inc ecx
	cmp ecx, 32
	jb .next
	lidt [rel idt_desc]
	ret

; Exceptions 8, 10-14, 17, 21, 29, 30 push an error code (APM vol. 2, 8.2); the others get a 0.
STUB_SIZE equ 16
align 16
stubs:
%assign v 0
%rep 32
	%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
		push qword v
	%else
		push qword 0
		push qword v
	%endif
	jmp exception_common
	align STUB_SIZE, db 0xCC
%assign v v + 1
%endrep

exception_common:
	mov rdi, [rsp]                  ; vector
	mov rsi, [rsp + 8]              ; error code
	mov rdx, [rsp + 16]             ; RIP from the interrupt frame
	mov rcx, cr2
	and rsp, -16
	call guest_exception
.halt:
	cli
	hlt
	jmp .halt

section .data
align 16
idt_desc:
	dw 32 * 16 - 1
	dq idt

section .bss
align 16
idt:
	resb 32 * 16
