#!/usr/bin/env bash
# Flow: TPM2_Hash through tpm2_hash, against coreutils' sha1sum/sha256sum/sha384sum, for
# inputs of 0, 1, 55, 64, 1000 and 1024 bytes (1024 = TPM2B_MAX_BUFFER, the most one
# TPM2_Hash takes) and of 1025, 4096 and 10000 bytes, which tpm2_hash sends as a hash
# sequence (HashSequenceStart, SequenceUpdate, SequenceComplete).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_hash() {
	local alg n bad exp got
	for alg in sha1 sha256 sha384; do
		bad=
		for n in 0 1 55 64 1000 1024 1025 4096 10000; do
			head -c "$n" /dev/urandom >"$E2E_TMP/hash-in.bin"
			exp=$(e2e_digest "$alg" <"$E2E_TMP/hash-in.bin")
			got=$(tpm2_hash -g "$alg" --hex "$E2E_TMP/hash-in.bin" 2>"$E2E_TMP/hash.err")
			[ "$got" = "$exp" ] || bad="$bad $n(got '$got' $(e2e_err "$E2E_TMP/hash.err"))"
		done
		if [ -z "$bad" ]; then
			t_pass "hash $alg == ${alg}sum (0..10000 bytes, sequences above 1024)"
		else
			t_fail "hash $alg == ${alg}sum" "sizes$bad"
		fi
	done
	# The ticket: a hash in the owner hierarchy comes with a TPMT_TK_HASHCHECK.
	printf 'ticket' >"$E2E_TMP/hash-t.bin"
	if e2e_run hash-ticket tpm2_hash -C o -g sha256 -o "$E2E_TMP/hash-t.dig" -t "$E2E_TMP/hash-t.tk" "$E2E_TMP/hash-t.bin" &&
		[ "$(e2e_hex "$E2E_TMP/hash-t.dig")" = "$(e2e_digest sha256 <"$E2E_TMP/hash-t.bin")" ] &&
		[ -s "$E2E_TMP/hash-t.tk" ]; then
		t_pass "hash with owner hierarchy: digest and ticket"
	else
		t_fail "hash with owner hierarchy" "$(e2e_err "$E2E_TMP/hash-ticket.err")"
	fi
}
e2e_hash

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
