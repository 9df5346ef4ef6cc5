; Embeds the assembled test guest (npt_probe.bin, built by the Makefile) in the test image.
; Exported symbols (C view): extern const uint8_t npt_probe_start[], npt_probe_end[];
global npt_probe_start
global npt_probe_end

section .rodata
npt_probe_start:
	incbin "npt_probe.bin"
npt_probe_end:
