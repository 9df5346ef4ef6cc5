#!/bin/sh
# igvm_cli_test.sh FILE.igvm BUILD_TOOLS_DIR
#
# Runs the real igvmdump binary from BUILD_TOOLS_DIR on a valid IGVM image and on corrupted
# copies of it (single flipped bytes spread over the checksummed region, truncations). The
# valid file must dump (exit 0, both platforms and the VMSA GPA 0xfffffffff000 in the output);
# every corrupted copy must be refused with exit status 1 and a one-line
# "igvmdump: FILE: offset 0x...: reason" on stderr, and no sanitizer report anywhere.
# Only bytes of the fixed header and the variable headers are flipped: the file data after
# them is not covered by the IGVM checksum, so a flip there can be legitimately undetectable.
#
# Guest firmware (igvmbuild --firmware): builds an image with a small synthetic firmware and
# checks igvmdump's firmware row and boot_firmware_info lines (CRC-32 cross-checked with gzip),
# igvmbuild's refusals (odd size, empty, no reset jump, over 16 MiB), igvmload's staging copy
# and fw_cfg hint, and, when qemu-system-x86_64 is installed, that QEMU puts the staged bytes
# in RAM and keeps the reset ROM at 4 GiB - 64 KiB. igvmbuild and igvmload are taken from
# $IGVMBUILD/$IGVMLOAD, else BUILD_TOOLS_DIR, else BUILD_TOOLS_DIR/../../tools (make test
# passes build/hosttest/tools; the unsanitized tools live in build/tools); the kernel ELF from
# $BASTION_ELF, else FILE.igvm with .elf for .igvm.
#
# Prints "PASS name" / "FAIL name" per check and "N passed, N failed"; exit status 1 on failure.

set -u

if [ "$#" -ne 2 ]; then
	echo "usage: $0 FILE.igvm BUILD_TOOLS_DIR" >&2
	exit 2
fi
igvm=$1
dump=$2/igvmdump
tools_dir=$2
if [ ! -r "$igvm" ] || [ ! -x "$dump" ]; then
	echo "$0: need a readable $igvm and an executable $dump" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/igvm_cli_test.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1${2:+: $2}"
	failed=$((failed + 1))
}

# No sanitizer report in either output stream.
clean_output() {
	! grep -q -e 'Sanitizer' -e 'runtime error' "$tmp/out" "$tmp/err"
}

# u32 little-endian at byte offset $2 of file $1
read_u32() {
	od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

# Expects igvmdump to refuse file $2; check name $1.
expect_refused() {
	"$dump" "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "$1" "exit status $rc, expected 1"
	elif ! clean_output; then
		fail "$1" "sanitizer report"
	elif [ -s "$tmp/out" ]; then
		fail "$1" "listing printed for an invalid file"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "^igvmdump: $2: offset 0x[0-9a-f]*: ." "$tmp/err"; then
		fail "$1" "unexpected stderr: $(head -c 200 "$tmp/err")"
	else
		pass "$1"
	fi
}

# Copies the image to $2 with the byte at offset $1 inverted.
flip_byte() {
	cp "$igvm" "$2"
	old=$(od -An -tu1 -j "$1" -N1 "$igvm" | tr -d ' ')
	new=$((old ^ 255))
	# shellcheck disable=SC2059 # the format is the octal escape we build
	printf "$(printf '\\%03o' "$new")" | dd of="$2" bs=1 seek="$1" conv=notrunc 2>/dev/null
}

# --- the valid file ---
"$dump" "$igvm" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ]; then
	fail valid_exit_status "exit status $rc: $(head -c 200 "$tmp/err")"
else
	pass valid_exit_status
fi
if clean_output && [ ! -s "$tmp/err" ]; then
	pass valid_no_stderr
else
	fail valid_no_stderr
fi
for word in 'checksum 0x[0-9a-f]* (ok)' 'SEV_SNP' 'NATIVE' 'VP_CONTEXT.*0xfffffffff000.*SNP VMSA' \
	'VP_CONTEXT.*native x64 context' 'SEV_FEATURES 0x1'; do
	if grep -q -e "$word" "$tmp/out"; then
		pass "valid_mentions[$word]"
	else
		fail "valid_mentions[$word]"
	fi
done

size=$(wc -c <"$igvm" | tr -d ' ')
vh_off=$(read_u32 "$igvm" 8)
vh_size=$(read_u32 "$igvm" 12)
vh_end=$((vh_off + vh_size))
if [ "$vh_end" -le 24 ] || [ "$vh_end" -gt "$size" ]; then
	fail header_region "variable headers 0x$vh_off+$vh_size do not fit a $size-byte file"
	vh_end=24
fi

# --- flipped bytes: every fixed-header field, then 12 offsets spread over the headers ---
for off in 0 4 8 12 16 20 23; do
	flip_byte "$off" "$tmp/flip.igvm"
	expect_refused "flip_fixed_header_byte_$off" "$tmp/flip.igvm"
done
i=0
while [ "$i" -lt 12 ]; do
	off=$((24 + (vh_end - 24) * i / 12))
	flip_byte "$off" "$tmp/flip.igvm"
	expect_refused "flip_header_byte_$off" "$tmp/flip.igvm"
	i=$((i + 1))
done
flip_byte $((vh_end - 1)) "$tmp/flip.igvm"
expect_refused "flip_last_header_byte_$((vh_end - 1))" "$tmp/flip.igvm"

# --- truncations ---
for len in 0 1 23 24 $((vh_end / 2)) "$vh_end" $((size / 2)) $((size - 1)); do
	head -c "$len" "$igvm" >"$tmp/cut.igvm"
	expect_refused "truncate_to_$len" "$tmp/cut.igvm"
done

# --- trailing garbage and a missing file ---
cp "$igvm" "$tmp/long.igvm"
printf 'x' >>"$tmp/long.igvm"
expect_refused trailing_byte "$tmp/long.igvm"
"$dump" "$tmp/missing.igvm" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && clean_output && grep -q "^igvmdump: $tmp/missing.igvm: cannot open" "$tmp/err"; then
	pass missing_file
else
	fail missing_file "exit status $rc: $(head -c 200 "$tmp/err")"
fi

# --- guest firmware ---
# find_tool NAME: the first executable NAME in the tools directories (see the header).
find_tool() {
	for d in "$tools_dir" "$tools_dir/../../tools"; do
		if [ -x "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# Expects igvmbuild to refuse firmware file $2 with a message containing $3; check name $1.
expect_fw_refused() {
	rm -f "$tmp/bad.igvm"
	"$build" --elf "$elf" -o "$tmp/bad.igvm" --firmware "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "$1" "exit status $rc, expected 1"
	elif [ -e "$tmp/bad.igvm" ] || [ -e "$tmp/bad.igvm.tmp" ]; then
		fail "$1" "an output file was left behind"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "^igvmbuild: --firmware $2: .*$3" "$tmp/err"; then
		fail "$1" "unexpected stderr: $(head -c 300 "$tmp/err")"
	else
		pass "$1"
	fi
}

build=${IGVMBUILD:-$(find_tool igvmbuild)}
load=${IGVMLOAD:-$(find_tool igvmload)}
elf=${BASTION_ELF:-${igvm%.igvm}.elf}
if [ -z "$build" ] || [ -z "$load" ] || [ ! -r "$elf" ]; then
	fail firmware_tools "need igvmbuild and igvmload (BUILD_TOOLS_DIR or ../../tools) and the kernel ELF $elf"
else
	pass firmware_tools
	# 64 KiB: page 0 zero, pages 1..15 three repeating patterns (dedup), SeaBIOS-style
	# "jmp far f000:e05b" at the reset vector.
	fw=$tmp/fw.bin
	head -c 4096 /dev/zero >"$fw"
	i=1
	while [ "$i" -lt 16 ]; do
		yes "firmware page pattern $((i % 3))" | head -c 4096 >>"$fw"
		i=$((i + 1))
	done
	printf '\352\133\340\000\360' | dd of="$fw" bs=1 seek=65520 conv=notrunc 2>/dev/null

	if "$build" --elf "$elf" -o "$tmp/fw.igvm" --firmware "$fw" >"$tmp/out" 2>"$tmp/err" &&
		[ ! -s "$tmp/err" ]; then
		pass firmware_build
	else
		fail firmware_build "$(head -c 300 "$tmp/err")"
	fi
	"$dump" "$tmp/fw.igvm" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 0 ] && clean_output; then
		pass firmware_dump_valid
	else
		fail firmware_dump_valid "exit status $rc: $(head -c 300 "$tmp/err")"
	fi
	for word in 'PAGE_DATA  *0x3  *0xffff0000  *0x10000  .*NORMAL firmware: 16 pages (1 zero), headers [0-9]*\.\.[0-9]*$' \
		'PAGE_DATA  *0x3  *0x10009000  .*NORMAL boot_firmware_info$' \
		'boot_firmware_info: magic "BFWI" version 2: firmware 0xffff0000\.\.0xffffffff size 0x10000 reset vector 0xfffffff0 flags 0x1 (MEASURED)' \
		'boot_firmware_info: crc32 0x[0-9a-f]* (matches the firmware pages)'; do
		if grep -q -e "$word" "$tmp/out"; then
			pass "firmware_dump_mentions[$word]"
		else
			fail "firmware_dump_mentions[$word]"
		fi
	done
	if [ "$(grep -c 'PAGE_DATA  *0x3  *0xffff[0-9a-f]000 ' "$tmp/out")" -eq 1 ]; then
		pass firmware_dump_one_row
	else
		fail firmware_dump_one_row "firmware pages listed one by one"
	fi
	# gzip's trailer holds the IEEE CRC-32 of the data: an independent check of the descriptor.
	if command -v gzip >/dev/null 2>&1; then
		crc=$(gzip -c <"$fw" | tail -c 8 | od -An -tx4 -N4 | tr -d ' ')
		if grep -q "boot_firmware_info: crc32 0x$crc (matches" "$tmp/out"; then
			pass firmware_crc32_matches_gzip
		else
			fail firmware_crc32_matches_gzip "gzip says 0x$crc"
		fi
	fi

	# Without --firmware the descriptor page is still there and says "no firmware".
	if "$build" --elf "$elf" -o "$tmp/nofw.igvm" 2>"$tmp/err" && "$dump" "$tmp/nofw.igvm" >"$tmp/out" 2>&1 &&
		grep -q 'boot_firmware_info: magic "BFWI" version 2: no firmware (size 0)' "$tmp/out" &&
		! grep -q 'firmware:' "$tmp/out"; then
		pass firmware_absent_descriptor
	else
		fail firmware_absent_descriptor "$(head -c 300 "$tmp/err")"
	fi

	head -c 4097 "$fw" >"$tmp/odd.bin"
	expect_fw_refused firmware_refused_odd_size "$tmp/odd.bin" 'is 4097 bytes, not a multiple of 4 KiB'
	: >"$tmp/empty.bin"
	expect_fw_refused firmware_refused_empty "$tmp/empty.bin" 'firmware image is empty'
	head -c 8192 /dev/zero >"$tmp/zero.bin"
	expect_fw_refused firmware_refused_no_reset_jump "$tmp/zero.bin" 'no x86 reset-vector jump'
	head -c $((16 * 1024 * 1024 + 4096)) /dev/zero >"$tmp/big.bin"
	expect_fw_refused firmware_refused_over_16_mib "$tmp/big.bin" 'larger than the limit of 16777216 bytes'
	rm -f "$tmp/big.bin"

	# igvmload: the firmware goes to the top of low RAM (512 MiB - 64 KiB) and fw_cfg names it.
	"$load" --mem-mib 512 --out "$tmp/ld" "$tmp/fw.igvm" >"$tmp/args" 2>"$tmp/err"
	rc=$?
	staged=$(grep -o 'loader,file=[^,]*,addr=0x1fff0000,' "$tmp/args" | sed 's/^loader,file=//; s/,addr=.*//')
	if [ "$rc" -ne 0 ]; then
		fail firmware_load "exit status $rc: $(head -c 300 "$tmp/err")"
	elif [ "$(tail -n 2 "$tmp/args" | tr '\n' ' ')" != "-fw_cfg name=opt/bastion/firmware-staging,string=0x1fff0000 " ]; then
		fail firmware_load "no fw_cfg staging hint at the end: $(tail -n 2 "$tmp/args" | tr '\n' ' ')"
	elif [ -z "$staged" ] || ! cmp -s "$staged" "$fw"; then
		fail firmware_load "no loader blob at 0x1fff0000 holding the firmware"
	elif grep -q 'addr=0xf' "$tmp/args"; then
		fail firmware_load "a loader blob near 4 GiB (no RAM there, or the reset ROM)"
	else
		pass firmware_load
	fi

	# QEMU (stock, without IGVM support) really puts the bytes there and keeps the reset ROM.
	if [ "$rc" -eq 0 ] && command -v qemu-system-x86_64 >/dev/null 2>&1; then
		qemu_args=$(tr '\n' ' ' <"$tmp/args")
		# shellcheck disable=SC2086 # split on purpose: POSIX sh has no arrays (needs a $TMPDIR without spaces)
		printf 'xp /5xb 0x1ffffff0\nxp /2xb 0xfffffff0\nquit\n' |
			timeout 30 qemu-system-x86_64 -M q35 -m 512 -accel tcg -nodefaults -display none -S \
				-monitor stdio $qemu_args >"$tmp/qemu" 2>&1
		rom_head=$(tail -c 16 "$tmp/ld/rom.bin" | od -An -tx1 -N2 | sed 's/^ *//; s/ / 0x/; s/^/0x/')
		if grep -q '000000001ffffff0: 0xea 0x5b 0xe0 0x00 0xf0' "$tmp/qemu" &&
			grep -q "00000000fffffff0: $rom_head" "$tmp/qemu"; then
			pass firmware_qemu_staged_and_rom_intact
		else
			fail firmware_qemu_staged_and_rom_intact "$(grep -v '^(qemu)' "$tmp/qemu" | head -c 300)"
		fi
	else
		echo "SKIP firmware_qemu_staged_and_rom_intact (no qemu-system-x86_64 or igvmload failed)"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
