; Reset-vector ROM for QEMU without IGVM support (contract: igvm/reset_rom.h).
;
; Assembled with `nasm -f bin` into a 64 KiB image that QEMU maps at 0xFFFF0000 (`-bios`).
; igvm/igvmload.c patches the parameter block at offset 0 with the IGVM file's NATIVE VP
; context. The ROM then reproduces that context: real mode -> 32-bit flat protected mode with
; the context's control registers, EFER, descriptor tables and GPRs, and jumps to its EIP.
;
; Inputs: the processor's reset state (real mode, CS base 0xFFFF0000, IP 0xFFF0, EFLAGS 0x2).
; Outputs: none; control passes to the context's EIP and never returns.
; Assumptions: the loader checked that the context is expressible (see igvm/reset_rom.h), in
; particular CR0.PG = 0, so nothing below needs page tables; the GDT below has its accessed
; bits preset, so the CPU never tries to write to ROM.
; Faults: none expected; a bad context would fault with no IDT and triple-fault (QEMU runs
; with -no-reboot, so that ends the VM).

ROM_BASE	equ 0xFFFF0000
CS32		equ 0x08	; equal to the boot GDT's selectors (kernel/image_layout.h); igvmload
DS32		equ 0x10	; refuses contexts that use any other selector
MSR_EFER	equ 0xC0000080

bits 16
org ROM_BASE

; ---- Parameter block, offset 0 (struct reset_rom_params) ------------------------------------
params:
.magic:		dd 0x54535242	; "BRST"
.version:	dd 1
.eax:		dd 0
.ecx:		dd 0
.edx:		dd 0
.ebx:		dd 0
.esp:		dd 0
.ebp:		dd 0
.esi:		dd 0
.edi:		dd 0
.eip:		dd 0
.cr0:		dd 0
.cr3:		dd 0
.cr4:		dd 0
.efer_lo:	dd 0
.efer_hi:	dd 0
		dw 0
.gdtr:		dw 0		; limit, then base: the operand of lgdt
		dd 0
		dw 0
.idtr:		dw 0
		dd 0
params_end:

%if params_end - params != 0x50
%error "parameter block must be 0x50 bytes (struct reset_rom_params)"
%endif

align 16
rom_gdt:
	dq 0
	dq 0x00CF9B000000FFFF	; 0x08 flat 32-bit code, accessed
	dq 0x00CF93000000FFFF	; 0x10 flat data, accessed
rom_gdt_end:

rom_gdtr:
	dw rom_gdt_end - rom_gdt - 1
	dd rom_gdt

; ---- 16-bit: leave real mode ----------------------------------------------------------------
start16:
	cli
	cld
	o32 lgdt [cs:rom_gdtr - $$]
	mov eax, cr0
	or eax, 1		; CR0.PE
	mov cr0, eax
	jmp dword CS32:start32

; ---- 32-bit: apply the context --------------------------------------------------------------
bits 32
start32:
	mov ax, DS32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov eax, [params.cr4]
	mov cr4, eax
	mov ecx, MSR_EFER
	mov eax, [params.efer_lo]
	mov edx, [params.efer_hi]
	wrmsr
	mov eax, [params.cr3]
	mov cr3, eax
	mov eax, [params.cr0]
	mov cr0, eax
	jmp .flush		; CR0 may have changed cache/protection bits: serialize the fetch
.flush:
	lgdt [params.gdtr]	; the context's descriptor tables; segment caches keep the flat
	lidt [params.idtr]	; descriptors loaded above, which the loader checked are identical
	mov eax, [params.eax]
	mov ecx, [params.ecx]
	mov edx, [params.edx]
	mov ebx, [params.ebx]
	mov esp, [params.esp]
	mov ebp, [params.ebp]
	mov esi, [params.esi]
	mov edi, [params.edi]
	jmp [params.eip]

; ---- Reset vector at 0xFFFFFFF0 -------------------------------------------------------------
bits 16
	times 0xFFF0 - ($ - $$) db 0
reset_vector:
	; A near jump within the 64 KiB segment: the displacement wraps modulo 64 KiB, which nasm
	; will not compute for us from 32-bit label values, so encode it by hand.
	db 0xE9
	dw (start16 - (reset_vector + 3)) & 0xFFFF
	times 0x10000 - ($ - $$) db 0
