#!/usr/bin/env bash
# Flow: the attestation-key enrolment users run (vtpm/cmd_credential.c). tpm2_createek makes
# the TCG default EK (RSA 2048 and ECC P-256; userWithAuth clear, adminWithPolicy, authPolicy
# PolicySecret(TPM_RH_ENDORSEMENT)), tpm2_createak an AK under it; tpm2_makecredential wraps a
# secret for the AK's Name both through the TPM (LoadExternal + MakeCredential) and offline
# (-T none: tpm2-tss computes the RSA-OAEP / ECDH "IDENTITY" seed, KDFa, AES-CFB and HMAC
# itself, an independent implementation); tpm2_activatecredential with a PolicySecret session
# for the EK recovers the secret byte for byte. A credential made for another Name is refused.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_kfl() {
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -l >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
}
e2e_krun() { e2e_run "$@"; local rc=$?; e2e_kfl; return $rc; }

# e2e_activate DIR EK BLOB OUT: ActivateCredential with the EK's PolicySecret(endorsement).
e2e_activate() {
	local d=$1 ek=$2 blob=$3 out=$4 rc
	if ! e2e_run cred-sess tpm2_startauthsession --policy-session -S "$d/s.ctx" ||
		! e2e_run cred-psec tpm2_policysecret -S "$d/s.ctx" -c e; then
		e2e_kfl
		return 1
	fi
	e2e_run cred-act tpm2_activatecredential -c "$d/ak.ctx" -C "$ek" -i "$blob" -o "$out" -P "session:$d/s.ctx"
	rc=$?
	e2e_kfl
	return $rc
}

e2e_credential_one() {
	local g=$1 d=$E2E_TMP/cred-$1 name how opt
	mkdir -p "$d"
	printf 'credential secret %05d for %s' "$RANDOM" "$g" | head -c 32 >"$d/secret"
	if ! e2e_krun "cred-ek-$g" tpm2_createek -c "$d/ek.ctx" -G "$g" -u "$d/ek.pub" ||
		! e2e_krun "cred-ak-$g" tpm2_createak -C "$d/ek.ctx" -c "$d/ak.ctx" -G "$g" -g sha256 \
			-u "$d/ak.pub" -n "$d/ak.name"; then
		t_fail "credential $g: createek/createak" "$(e2e_err "$E2E_TMP/cred-ek-$g.err") $(e2e_err "$E2E_TMP/cred-ak-$g.err")"
		return
	fi
	name=$(e2e_hex "$d/ak.name")
	for how in tpm offline; do
		opt=()
		[ $how = offline ] && opt=(-T none)
		rm -f "$d/blob" "$d/out"
		if ! e2e_krun "cred-mc-$g-$how" tpm2_makecredential "${opt[@]}" -u "$d/ek.pub" -s "$d/secret" -n "$name" -o "$d/blob"; then
			t_fail "tpm2_makecredential ($how) $g EK" "$(e2e_err "$E2E_TMP/cred-mc-$g-$how.err")"
			continue
		fi
		if e2e_activate "$d" "$d/ek.ctx" "$d/blob" "$d/out" && cmp -s "$d/out" "$d/secret"; then
			t_pass "tpm2_makecredential ($how) -> tpm2_activatecredential, $g EK: secret recovered"
		else
			t_fail "tpm2_makecredential ($how) -> tpm2_activatecredential, $g EK: secret recovered" \
				"$(e2e_err "$E2E_TMP/cred-psec.err") $(e2e_err "$E2E_TMP/cred-act.err")"
		fi
	done
	# A credential for another Name (the EK's own) does not activate for the AK.
	if e2e_krun "cred-mc-$g-other" tpm2_makecredential -T none -u "$d/ek.pub" -s "$d/secret" \
		-n "000b$(printf '%064d' 0)" -o "$d/blob2" &&
		! e2e_activate "$d" "$d/ek.ctx" "$d/blob2" "$d/out2"; then
		if grep -qi '0x1df' "$E2E_TMP/cred-act.err"; then
			t_pass "activatecredential refuses a credential for another Name, $g (TPM_RC_INTEGRITY + P1, 0x1df)"
		else
			t_fail "activatecredential refuses a credential for another Name, $g (TPM_RC_INTEGRITY + P1, 0x1df)" "$(e2e_err "$E2E_TMP/cred-act.err")"
		fi
	else
		t_fail "activatecredential refuses a credential for another Name, $g" "it succeeded or makecredential failed"
	fi
}

e2e_credential_flow() {
	e2e_credential_one rsa
	e2e_credential_one ecc
}

e2e_credential_flow
[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
