#!/usr/bin/env bash
# Flow: NV indices with tpm2-tools (TPM 2.0 Part 3 §31; vtpm/nv.h): define/write/read/
# undefine with owner auth (-C o) and with the index's own auth (-C 0x01xxxxxx), Name and
# attributes from tpm2_nvreadpublic, counter/bits/extend indices (values checked against
# coreutils), read and write locks and what a power cycle (Startup(CLEAR)) does to them,
# tpm2_getcap handles-nv-index.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_nv() {
	local i=0x1500016 c=0x1500017 b=0x1500018 x=0x1500019 l=0x150001a want got
	printf 'bastion nv index data 0123456789' >"$E2E_TMP/nv32.bin"

	e2e_ok "nvdefine (owner)" tpm2_nvdefine $i -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite" -p idxpw
	e2e_ok "nvwrite (owner)" tpm2_nvwrite $i -C o -i "$E2E_TMP/nv32.bin"
	e2e_run nvread_o tpm2_nvread $i -C o -s 32 -o "$E2E_TMP/nvread_o.bin"
	e2e_eq "nvread (owner) returns the data" "$(e2e_hex "$E2E_TMP/nv32.bin")" "$(e2e_hex "$E2E_TMP/nvread_o.bin")"
	e2e_run nvread_i tpm2_nvread $i -C $i -P idxpw -s 4 --offset 8 -o "$E2E_TMP/nvread_i.bin"
	e2e_eq "nvread (index auth, offset)" "$(printf 'nv i' | od -An -v -tx1 | tr -d ' \n')" "$(e2e_hex "$E2E_TMP/nvread_i.bin")"
	printf 'INDX' >"$E2E_TMP/w4.bin"
	e2e_ok "nvwrite (index auth, offset)" tpm2_nvwrite $i -C $i -P idxpw -i "$E2E_TMP/w4.bin" --offset 28
	if e2e_run nvwrite_bad tpm2_nvwrite $i -C $i -P wrong -i "$E2E_TMP/w4.bin"; then
		t_fail "nvwrite with a wrong index password fails"
	else
		t_pass "nvwrite with a wrong index password fails"
	fi
	e2e_run nvrp tpm2_nvreadpublic $i
	if grep -q 'written' "$E2E_TMP/nvrp.out" && grep -qE 'name: 000b[0-9a-f]{64}' "$E2E_TMP/nvrp.out"; then
		t_pass "nvreadpublic: written, SHA-256 Name"
	else
		t_fail "nvreadpublic: written, SHA-256 Name" "$(tr '\n' ' ' <"$E2E_TMP/nvrp.out")"
	fi

	e2e_ok "nvdefine counter" tpm2_nvdefine $c -C o -s 8 -a "ownerread|ownerwrite|nt=counter"
	e2e_ok "nvincrement" tpm2_nvincrement $c -C o
	e2e_ok "nvincrement again" tpm2_nvincrement $c -C o
	e2e_run nvc tpm2_nvread $c -C o -s 8 -o "$E2E_TMP/nvc.bin"
	e2e_eq "counter reads 2" "0000000000000002" "$(e2e_hex "$E2E_TMP/nvc.bin")"

	e2e_ok "nvdefine bits" tpm2_nvdefine $b -C o -s 8 -a "ownerread|ownerwrite|nt=bits"
	e2e_ok "nvsetbits 0x5" tpm2_nvsetbits $b -C o -i 0x5
	e2e_ok "nvsetbits 0x100" tpm2_nvsetbits $b -C o -i 0x100
	e2e_run nvb tpm2_nvread $b -C o -s 8 -o "$E2E_TMP/nvb.bin"
	e2e_eq "bits read 0x105" "0000000000000105" "$(e2e_hex "$E2E_TMP/nvb.bin")"

	e2e_ok "nvdefine extend (sha256)" tpm2_nvdefine $x -C o -a "ownerread|ownerwrite|nt=extend" -g sha256
	printf 'abc' >"$E2E_TMP/abc.bin"
	e2e_ok "nvextend" tpm2_nvextend $x -C o -i "$E2E_TMP/abc.bin"
	e2e_ok "nvextend again" tpm2_nvextend $x -C o -i "$E2E_TMP/abc.bin"
	want=$(e2e_extend sha256 "$(e2e_zeros sha256)" 616263)
	want=$(e2e_extend sha256 "$want" 616263)
	e2e_run nvx tpm2_nvread $x -C o -s 32 -o "$E2E_TMP/nvx.bin"
	e2e_eq "extend value = H(H(0 || abc) || abc)" "$want" "$(e2e_hex "$E2E_TMP/nvx.bin")"

	e2e_ok "nvdefine lockable" tpm2_nvdefine $l -C o -s 4 -a "ownerread|ownerwrite|read_stclear|write_stclear"
	e2e_ok "nvwrite lockable" tpm2_nvwrite $l -C o -i "$E2E_TMP/w4.bin"
	e2e_ok "nvwritelock" tpm2_nvwritelock $l -C o
	e2e_ok "nvreadlock" tpm2_nvreadlock $l -C o
	if e2e_run lw tpm2_nvwrite $l -C o -i "$E2E_TMP/w4.bin"; then
		t_fail "write after nvwritelock fails"
	elif grep -q '0x148' "$E2E_TMP/lw.err"; then
		t_pass "write after nvwritelock: TPM_RC_NV_LOCKED"
	else
		t_fail "write after nvwritelock: TPM_RC_NV_LOCKED" "$(e2e_err "$E2E_TMP/lw.err")"
	fi
	if e2e_run lr tpm2_nvread $l -C o -s 4; then
		t_fail "read after nvreadlock fails"
	elif grep -q '0x148' "$E2E_TMP/lr.err"; then
		t_pass "read after nvreadlock: TPM_RC_NV_LOCKED"
	else
		t_fail "read after nvreadlock: TPM_RC_NV_LOCKED" "$(e2e_err "$E2E_TMP/lr.err")"
	fi
	e2e_run hnv tpm2_getcap handles-nv-index
	got=$(tr -d ' -' <"$E2E_TMP/hnv.out" | tr 'A-F\n' 'a-f ')
	e2e_eq "getcap handles-nv-index" "$i $c $b $x $l " "$got"
	# A power cycle with Startup(CLEAR) ends both STCLEAR locks (not through the SVSM relay:
	# the guest cannot power-cycle the TPM inside Bastion, E2E_NO_POWER_CYCLE).
	if [ -z "${E2E_NO_POWER_CYCLE:-}" ]; then
		e2e_ok "power off (platform signal)" e2e_platform_signal 2
		e2e_ok "power on + startup (CLEAR)" tpm2_startup -c
		e2e_ok "write after Startup(CLEAR)" tpm2_nvwrite $l -C o -i "$E2E_TMP/w4.bin"
		e2e_ok "read after Startup(CLEAR)" tpm2_nvread $l -C o -s 4 -o "$E2E_TMP/l.bin"
		e2e_run cnt2 tpm2_nvread $c -C o -s 8 -o "$E2E_TMP/nvc2.bin"
		e2e_eq "counter survives the power cycle" "0000000000000002" \
			"$(e2e_hex "$E2E_TMP/nvc2.bin")"
	fi

	# NV_ChangeAuth takes the ADMIN role: a policy session only (Part 3 §31.16).
	local a=0x150001b
	e2e_ok "trial session" tpm2_startauthsession -S "$E2E_TMP/trial.ctx"
	e2e_ok "policycommandcode NV_ChangeAuth (trial)" tpm2_policycommandcode -S "$E2E_TMP/trial.ctx" \
		-L "$E2E_TMP/ca.pol" TPM2_CC_NV_ChangeAuth
	e2e_ok "flush trial session" tpm2_flushcontext "$E2E_TMP/trial.ctx"
	e2e_ok "nvdefine with authPolicy" tpm2_nvdefine $a -C o -s 4 -p old \
		-a "ownerread|ownerwrite|authread|authwrite" -L "$E2E_TMP/ca.pol"
	if e2e_run ca_pw tpm2_changeauth -c $a -p old new; then
		t_fail "changeauth of an NV index with its password is refused"
	elif grep -q '0x124' "$E2E_TMP/ca_pw.err"; then
		t_pass "changeauth of an NV index with its password: TPM_RC_AUTH_TYPE"
	else
		t_fail "changeauth with a password: TPM_RC_AUTH_TYPE" "$(e2e_err "$E2E_TMP/ca_pw.err")"
	fi
	e2e_ok "policy session" tpm2_startauthsession --policy-session -S "$E2E_TMP/ps.ctx"
	e2e_ok "policycommandcode NV_ChangeAuth" tpm2_policycommandcode -S "$E2E_TMP/ps.ctx" TPM2_CC_NV_ChangeAuth
	e2e_ok "changeauth of the NV index with the policy session" \
		tpm2_changeauth -p "session:$E2E_TMP/ps.ctx" -c $a new
	e2e_ok "flush policy session" tpm2_flushcontext "$E2E_TMP/ps.ctx"
	e2e_ok "nvwrite with the new index auth" tpm2_nvwrite $a -C $a -P new -i "$E2E_TMP/w4.bin"
	e2e_ok "nvundefine $a" tpm2_nvundefine $a -C o

	for h in $i $c $b $x $l; do
		e2e_ok "nvundefine $h" tpm2_nvundefine $h -C o
	done
	e2e_run hnv2 tpm2_getcap handles-nv-index
	e2e_eq "no NV index left" "x" "$(tr -d ' \n' <"$E2E_TMP/hnv2.out")x"
}
e2e_nv

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
