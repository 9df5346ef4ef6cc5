; Embeds the assembled request-loop test guest (call_probe.bin) in the test image.
; Exported symbols (C view): extern const uint8_t call_probe_start[], call_probe_end[];
global call_probe_start
global call_probe_end

section .rodata
call_probe_start:
	incbin "call_probe.bin"
call_probe_end:
