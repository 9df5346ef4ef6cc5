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
# Prints "PASS name" / "FAIL name" per check and "N passed, N failed"; exit status 1 on failure.

set -u

if [ "$#" -ne 2 ]; then
	echo "usage: $0 FILE.igvm BUILD_TOOLS_DIR" >&2
	exit 2
fi
igvm=$1
dump=$2/igvmdump
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
