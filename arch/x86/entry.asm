; Bastion entry: from the IGVM VP context to kmain().
;
; Exported symbols (C view):
;   void entry32(void);                  ELF entry point; the VP context's RIP. Never called from C.
;   extern const u8 boot_gdt[];          the boot GDT (selectors in kernel/image_layout.h)
;   void kmain(u32 platform_type);       (imported) the C boot sequence, kernel/main.c
;
; One entry path serves both platforms. SNP starts every vCPU from a VMSA in 32-bit protected
; mode (the C-bit position is only known at run time); the NATIVE VP context built by igvmbuild
; uses the same 32-bit state, so the stub below runs on every boot, in CI too.
;
; Assumptions on entry (established by the VP context, igvm/igvm_build.c):
;   - 32-bit flat protected mode: CS = BOOT_CS32, data segments flat, CR0.PE = 1, CR0.PG = 0;
;   - EFER.LME = 1 and EFER.NXE = 1 (set in the VP context, so no MSR write is needed here; a
;     WRMSR would raise #VC on SNP before we have a handler);
;   - EAX = IGVM platform type (0 native, 2 SEV-SNP);
;   - interrupts disabled; the boot page tables, boot stack and CPUID page are loaded at the
;     GPAs of kernel/image_layout.h.
; Faults: none expected. On SNP a CPUID page without leaf 0x8000001F, or with a C-bit outside
; 32..51, ends the VM with the GHCB MSR-protocol termination request (reason set 1, code 1).

%include "arch/x86/entry.inc"

extern kmain
extern boot_pml4_gpa
extern boot_pgtable_gpa
extern boot_snp_cpuid_gpa
extern boot_stack_top_gpa
extern boot_stack_top
extern __bss_start
extern __bss_end

global entry32
global boot_gdt

; ---------------------------------------------------------------------------------------------
; 32-bit part: linked at its physical address (section .entry32, VMA = LMA), paging off.
; ---------------------------------------------------------------------------------------------
section .entry32 progbits alloc exec nowrite align=16
bits 32

entry32:
	cli
	cld
	mov esi, eax			; platform type survives in ESI until kmain
	lgdt [boot_gdtr]
	mov ax, BOOT_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, boot_stack_top_gpa	; physical stack until paging is on

	cmp esi, PLATFORM_SNP
	jne .enable_paging
	call snp_set_cbit

.enable_paging:
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, boot_pml4_gpa
	mov cr3, eax
	mov eax, cr0
	or eax, CR0_PG | CR0_WP
	mov cr0, eax			; EFER.LME was set by the VP context: now in compatibility mode
	jmp BOOT_CS64:entry64_low

; snp_set_cbit: OR the C-bit into every present entry of the boot page tables.
; In: nothing. Out: nothing, or does not return (terminates the VM). Clobbers EAX-EDI except ESI.
snp_set_cbit:
	push esi
	mov ebx, boot_snp_cpuid_gpa
	mov ecx, [ebx + SNP_CPUID_COUNT]
	cmp ecx, SNP_CPUID_MAX_ENTRIES
	ja .fail
	lea edx, [ebx + SNP_CPUID_ENTRIES]
.find:
	test ecx, ecx
	jz .fail
	cmp dword [edx + SNP_CPUID_FN_EAX_IN], 0x8000001F
	jne .next
	cmp dword [edx + SNP_CPUID_FN_ECX_IN], 0
	je .found
.next:
	add edx, SNP_CPUID_FN_SIZE
	dec ecx
	jmp .find
.found:
	mov ecx, [edx + SNP_CPUID_FN_EBX]
	and ecx, 0x3F			; EBX[5:0] = C-bit position (APM vol 3, CPUID Fn8000_001F)
	cmp ecx, 32
	jb .fail
	cmp ecx, 51
	ja .fail
	sub ecx, 32
	mov eax, 1
	shl eax, cl			; the C-bit within the high dword of a PTE
	mov edi, boot_pgtable_gpa
	mov ecx, BOOT_PGTABLE_ENTRIES
.mark:
	test dword [edi], PTE_PRESENT
	jz .skip
	or [edi + 4], eax
.skip:
	add edi, 8
	dec ecx
	jnz .mark
	pop esi
	ret
.fail:
	; GHCB MSR protocol termination request (GHCB spec 2.03, section 2.3.6).
	mov ecx, MSR_GHCB
	mov eax, GHCB_MSR_TERM_REQ | (1 << 12) | (1 << 16)
	xor edx, edx
	wrmsr
	rep vmmcall			; VMGEXIT
.halt:
	hlt
	jmp .halt

; 64-bit code still at its physical address (identity mapped): hop to the high half.
bits 64
entry64_low:
	mov rax, entry64
	jmp rax

align 16
boot_gdt:
	dq 0					; null
	dq 0x00CF9B000000FFFF			; 0x08 BOOT_CS32: flat 32-bit code, accessed
	dq 0x00CF93000000FFFF			; 0x10 BOOT_DS: flat data, accessed
	dq 0x00AF9B000000FFFF			; 0x18 BOOT_CS64: 64-bit code, accessed
boot_gdt_end:

boot_gdtr:
	dw boot_gdt_end - boot_gdt - 1
	dd boot_gdt

; ---------------------------------------------------------------------------------------------
; 64-bit part: linked in the high half.
; ---------------------------------------------------------------------------------------------
section .text.entry64 progbits alloc exec nowrite align=16
bits 64

entry64:
	mov ax, BOOT_DS
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, boot_stack_top
	; .bss arrives as zero pages from the IGVM file; clear it anyway so a loader that does
	; not zero RAM (or a warm reset) cannot leave stale state behind.
	mov rdi, __bss_start
	mov rcx, __bss_end
	sub rcx, rdi
	xor eax, eax
	rep stosb
	xor ebp, ebp			; terminates the frame-pointer chain for backtraces
	mov edi, esi			; kmain(platform_type)
	call kmain
.hang:
	cli
	hlt
	jmp .hang
