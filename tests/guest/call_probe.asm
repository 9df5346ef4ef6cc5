; Test guest for the request loop (tests/kernel/request_loop_test.c): 32-bit protected mode,
; paging off, loaded at GPA 0x100000 with its calling area (CAA) at 0x110000. Every call is
; placed the way Linux and OVMF place them: write the GHCB MSR Run-VMPL-0 request, set
; call_pending = 1, VMGEXIT (rep vmmcall), then atomically exchange call_pending with 0.
; Results go to RES: for call i, [RES + 16*i] = EAX (result code), [+4] = ECX,
; [+8] = the old call_pending byte (0: the call completed).
bits 32
org 0x100000

CAA equ 0x110000
RES equ 0x130000
PAGE equ 0x201000        ; a guest page the test rescinds and validates again
BASTION equ 0x10000000

; CALL_SVSM index: EBX = RAX (protocol 0, call id), ESI = RCX.
%macro CALL_SVSM 1
	mov ecx, 0xC0010130
	mov eax, 0x16
	xor edx, edx
	wrmsr
	mov byte [CAA], 1
	mov eax, ebx
	mov ecx, esi
	rep vmmcall
	xor edx, edx
	xchg dl, [CAA]
	mov [RES + 16 * %1], eax
	mov [RES + 16 * %1 + 4], ecx
	mov [RES + 16 * %1 + 8], edx
%endmacro

; PVALIDATE_LIST gpa, action (1 validate, 0 rescind), ignore_cf: one 4 KiB entry at CAA + 8.
%macro PVALIDATE_LIST 3
	mov dword [CAA + 8], 1               ; entries = 1, next = 0
	mov dword [CAA + 12], 0              ; reserved
	mov dword [CAA + 16], %1 | (%2 << 2) | (%3 << 3)
	mov dword [CAA + 20], 0
%endmacro

start:
	mov ebx, 6                           ; 0: QUERY_PROTOCOL(core, version 1)
	mov esi, 1
	CALL_SVSM 0
	mov ebx, 6                           ; 1: QUERY_PROTOCOL(core, version 2): unsupported
	mov esi, 2
	CALL_SVSM 1
	mov ebx, 99                          ; 2: unknown core call
	xor esi, esi
	CALL_SVSM 2
	mov ebx, 0                           ; 3: REMAP_CA to a misaligned address
	mov esi, CAA + 1
	CALL_SVSM 3

	mov byte [PAGE], 0xAA                ; mark the page, then rescind it
	PVALIDATE_LIST PAGE, 0, 0
	mov ebx, 1                           ; 4: PVALIDATE rescind
	mov esi, CAA + 8
	CALL_SVSM 4
	PVALIDATE_LIST PAGE, 1, 0
	mov ebx, 1                           ; 5: PVALIDATE validate: the page comes back zeroed
	mov esi, CAA + 8
	CALL_SVSM 5
	movzx eax, byte [PAGE]
	mov [RES + 16 * 5 + 12], eax
	PVALIDATE_LIST PAGE, 1, 0            ; a fresh list: `next` of the last one is now 1
	mov ebx, 1                           ; 6: validate again without ignore_cf: no change
	mov esi, CAA + 8
	CALL_SVSM 6
	PVALIDATE_LIST PAGE, 1, 1
	mov ebx, 1                           ; 7: ... and with ignore_cf: success
	mov esi, CAA + 8
	CALL_SVSM 7
	PVALIDATE_LIST BASTION, 1, 0
	mov ebx, 1                           ; 8: PVALIDATE a page of Bastion's region
	mov esi, CAA + 8
	CALL_SVSM 8

	mov ecx, 0xC0010130                  ; 9: a spurious entry (call_pending 0): RAX untouched
	mov eax, 0x16
	xor edx, edx
	wrmsr
	mov eax, 0x12345678
	rep vmmcall
	mov [RES + 16 * 9], eax

	mov ecx, 0xC0010130                  ; 10: a reserved call_pending value
	mov eax, 0x16
	xor edx, edx
	wrmsr
	mov byte [CAA], 2
	mov eax, 6
	mov ecx, 1
	rep vmmcall
	mov [RES + 16 * 10], eax
	movzx edx, byte [CAA]
	mov [RES + 16 * 10 + 8], edx

	PVALIDATE_LIST PAGE, 0, 0
	mov ebx, 1                           ; 11: rescind the page for good
	mov esi, CAA + 8
	CALL_SVSM 11
	hlt
	mov eax, [PAGE]                      ; the rescinded page is gone: nested page fault
	hlt
	jmp $
