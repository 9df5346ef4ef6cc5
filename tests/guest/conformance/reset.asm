; The last 4 KiB of the conformance guest's firmware image, placed at GPA 0xFFFFF000 so that
; it ends at 4 GiB (igvm/README.md, "Guest firmware"): the 16-bit reset path, the switch to
; 32-bit protected mode, the identity page tables and long mode, the GDT, and the OVMF-style
; GUIDed table with the SEV metadata an SVSM reads to find the secrets page, CPUID page and
; boot calling area.
;
; Reset state (AMD APM vol. 2, 14.1.5): real mode, CS selector 0xF000 with base 0xFFFF0000,
; IP 0xFFF0, so the first instruction is the one at GPA 0xFFFFFFF0 (the reset vector below).
; Everything in this section is addressed as TOP + (label - $$): the section's address is
; fixed by conformance.ld, so no relocation is needed except for the linker-script symbols
; that describe the C part.
%include "tests/guest/conformance/layout.inc"

extern payload_lma, payload_dwords, bss_start, bss_dwords, entry64

TOP equ 0xFFFFF000
%define ABS(label) (TOP + ((label) - $$))
; In real mode with CS base 0xFFFF0000 a label's offset is its address minus that base.
%define CSOFF(label) (TOP - 0xFFFF0000 + ((label) - $$))

section .top progbits alloc exec nowrite align=4096

bits 16
start16:
	cli
	cld
	o32 lgdt [cs:CSOFF(gdt_desc)]   ; o32: a 32-bit GDT base (0xFFFFFxxx)
	mov eax, cr0
	or eax, 1                       ; CR0.PE
	mov cr0, eax
	jmp dword CODE32_SEL:ABS(start32)

bits 32
start32:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, STACK_TOP

	; Identity map the first 4 GiB with 2 MiB pages (P|RW|PS = 0x83): low RAM, the test
	; ranges, Bastion's region (touching it must stop the guest, not fault in our tables) and
	; this image below 4 GiB.
	mov edi, PT_BASE
	xor eax, eax
	mov ecx, (PT_END - PT_BASE) / 4
	rep stosd
	mov dword [PT_PML4], PT_PDPT | 3
	mov edi, PT_PDPT
	mov eax, PT_PD0 | 3
	mov ecx, 4
.pdpt:
	mov [edi], eax
	add eax, 0x1000
	add edi, 8
	loop .pdpt
	mov edi, PT_PD0
	mov eax, 0x83
	mov ecx, 2048
.pd:
	mov [edi], eax
	add eax, 0x200000
	add edi, 8
	loop .pd

	; Copy the 64-bit C part to where it is linked, and clear its .bss.
	mov esi, payload_lma
	mov edi, PAYLOAD_VMA
	mov ecx, payload_dwords
	rep movsd
	mov edi, bss_start
	mov ecx, bss_dwords
	xor eax, eax
	rep stosd

	; Long mode (APM vol. 2, 14.6.1): CR4.PAE, CR3, EFER.LME, then CR0.PG.
	mov eax, cr4
	or eax, 1 << 5
	mov cr4, eax
	mov eax, PT_PML4
	mov cr3, eax
	mov ecx, 0xC0000080
	rdmsr
	or eax, 1 << 8
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | 1
	mov cr0, eax
	jmp CODE64_SEL:entry64

align 8
gdt:
	dq 0
	dq 0x00CF9B000000FFFF           ; 0x08: flat 32-bit code (accessed bit preset:
	dq 0x00CF93000000FFFF           ; 0x10: flat data           the CPU need not write the ROM)
	dq 0x00AF9B000000FFFF           ; 0x18: 64-bit code
gdt_end:
global gdt_desc
gdt_desc:
	dw gdt_end - gdt - 1
	dd ABS(gdt)

; ---- SEV metadata (the layout OVMF uses; read by igvmbuild like an SVSM's loader would) ----
; Header "ASEV", u32 length (header + sections), u32 version 1, u32 section count, then
; {u32 GPA, u32 size, u32 type} per section: 2 = SNP secrets page, 3 = CPUID page,
; 4 = SVSM calling area.
META_SECTIONS equ 3
META_LEN equ 16 + 12 * META_SECTIONS
	times 0xFB8 - META_LEN - ($ - $$) db 0
global sev_metadata
sev_metadata:
	db "ASEV"
	dd META_LEN
	dd 1
	dd META_SECTIONS
	dd SECRETS_GPA, 0x1000, 2
	dd CPUID_GPA, 0x1000, 3
	dd CAA_GPA, 0x1000, 4

; ---- the GUIDed table: entries [data][u16 length][GUID] walked backwards from the footer ----
; The footer GUID sits at image_end - 0x30, the table's total length (all entries plus the
; footer's 18 bytes) just below it at image_end - 0x32.
	times 0xFB8 - ($ - $$) db 0
	dd 0x100000000 - ABS(sev_metadata) ; SEV metadata entry: offset of the header from the end
	dw 4 + 18
	; dc886566-984a-4798-a75e-5585a7bf67cc (EFI byte order)
	db 0x66, 0x65, 0x88, 0xDC, 0x4A, 0x98, 0x98, 0x47
	db 0xA7, 0x5E, 0x55, 0x85, 0xA7, 0xBF, 0x67, 0xCC
	dw (4 + 18) + 18                ; total table length (image_end - 0x32)
	; 96b582de-1fb2-45f7-baea-a366c55a082d (EFI byte order), at image_end - 0x30
	db 0xDE, 0x82, 0xB5, 0x96, 0xB2, 0x1F, 0xF7, 0x45
	db 0xBA, 0xEA, 0xA3, 0x66, 0xC5, 0x5A, 0x08, 0x2D

	times 0xFF0 - ($ - $$) db 0
bits 16
reset_vector:                           ; GPA 0xFFFFFFF0
	jmp near start16
	times 0x1000 - ($ - $$) db 0
