; Test guest for the native platform (tests/kernel/native_guest_test.c): a few dozen bytes of
; 32-bit protected-mode code, loaded by the test at GPA 0x100000 and entered with flat
; segments and paging off. It speaks the SVSM calling convention's transport exactly as Linux
; and OVMF do (GHCB MSR protocol: write 0x016 to MSR 0xC0010130, then VMGEXIT = rep vmmcall),
; then does what a hostile guest would: reads Bastion's memory.
;
;   exit 1: SVSM call, ESI = 0x5356534D ("MSVS")
;   exit 2: SVSM call, EDI = the GHCB MSR value the guest read back after exit 1 (0x017)
;   exit 3: HLT
;   exit 4: nested page fault on GPA 0x10000000 (Bastion's region): the guest is stopped
bits 32
org 0x100000

start:
	mov ecx, 0xC0010130
	mov eax, 0x16
	xor edx, edx
	wrmsr
	mov esi, 0x5356534D
	rep vmmcall

	mov ecx, 0xC0010130
	rdmsr
	mov edi, eax
	mov ecx, 0xC0010130
	mov eax, 0x16
	xor edx, edx
	wrmsr
	rep vmmcall

	hlt

	mov eax, [0x10000000]
	hlt
	jmp $
