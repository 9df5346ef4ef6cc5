#!/usr/bin/env bash
# Flow: TPM-signed statements about time and creation (Part 3 §18.3, §18.7) through
# tpm2-tools, every signature checked by OpenSSL: tpm2_gettime with an ECDSA key (the
# TPMS_ATTEST carries TPM_GENERATED_VALUE and type TPM_ST_ATTEST_TIME), tpm2_certifycreation
# of a primary with the creation ticket CreatePrimary returned; a ticket with one flipped bit
# is refused (TPM_RC_TICKET + P4).
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

e2e_at_fl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; }

e2e_attest_time() {
	local d=$E2E_TMP/attest_time
	mkdir -p "$d"
	if ! e2e_run at-ak tpm2_createprimary -Q -C o -G ecc256:ecdsa-sha256 \
		-a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign" -c "$d/ak.ctx" ||
		! e2e_run at-pem tpm2_readpublic -Q -c "$d/ak.ctx" -f pem -o "$d/ak.pem"; then
		t_fail "attest: ECDSA signing primary" "$(e2e_err "$E2E_TMP/at-ak.err")"
		e2e_at_fl
		return
	fi
	e2e_at_fl
	if e2e_run at-time tpm2_gettime -c "$d/ak.ctx" -g sha256 -f plain -o "$d/time.sig" \
		--attestation "$d/time.att"; then
		t_pass "gettime signed by an ECDSA key [tpm2_gettime]"
		e2e_eq "gettime: TPMS_ATTEST magic and type TPM_ST_ATTEST_TIME" "ff5443478019" \
			"$(od -An -tx1 -N6 "$d/time.att" | tr -d ' \n')"
		if openssl dgst -sha256 -verify "$d/ak.pem" -signature "$d/time.sig" "$d/time.att" >/dev/null 2>&1; then
			t_pass "gettime signature verifies [openssl dgst -verify]"
		else
			t_fail "gettime signature verifies [openssl dgst -verify]"
		fi
	else
		t_fail "gettime signed by an ECDSA key [tpm2_gettime]" "$(e2e_err "$E2E_TMP/at-time.err")"
	fi
	e2e_at_fl
	if ! e2e_run at-prim tpm2_createprimary -Q -C o -G rsa2048 -c "$d/obj.ctx" \
		-d "$d/creation.hash" -t "$d/creation.tk"; then
		t_fail "certifycreation: primary with creation data" "$(e2e_err "$E2E_TMP/at-prim.err")"
		e2e_at_fl
		return
	fi
	e2e_at_fl
	if e2e_run at-cc tpm2_certifycreation -C "$d/ak.ctx" -c "$d/obj.ctx" -d "$d/creation.hash" \
		-t "$d/creation.tk" -g sha256 -f plain -o "$d/cc.sig" --attestation "$d/cc.att"; then
		t_pass "certifycreation with CreatePrimary's ticket [tpm2_certifycreation]"
		if openssl dgst -sha256 -verify "$d/ak.pem" -signature "$d/cc.sig" "$d/cc.att" >/dev/null 2>&1; then
			t_pass "certifycreation signature verifies [openssl dgst -verify]"
		else
			t_fail "certifycreation signature verifies [openssl dgst -verify]"
		fi
	else
		t_fail "certifycreation with CreatePrimary's ticket [tpm2_certifycreation]" \
			"$(e2e_err "$E2E_TMP/at-cc.err")"
	fi
	e2e_at_fl
	# Flip the last byte of the ticket's digest.
	cp "$d/creation.tk" "$d/bad.tk"
	printf "$(printf '\\%03o' $(( $(od -An -tu1 -j $(( $(stat -c %s "$d/bad.tk") - 1 )) -N1 "$d/bad.tk") ^ 1 )))" |
		dd of="$d/bad.tk" bs=1 seek=$(( $(stat -c %s "$d/bad.tk") - 1 )) conv=notrunc status=none
	if e2e_run at-bad tpm2_certifycreation -C "$d/ak.ctx" -c "$d/obj.ctx" -d "$d/creation.hash" \
		-t "$d/bad.tk" -g sha256 -f plain -o "$d/bad.sig" --attestation "$d/bad.att"; then
		t_fail "certifycreation refuses a forged ticket" "accepted"
	elif grep -qi "0x4e0" "$E2E_TMP/at-bad.err"; then
		t_pass "certifycreation refuses a forged ticket (TPM_RC_TICKET + P4) [tpm2_certifycreation]"
	else
		t_fail "certifycreation refuses a forged ticket" "$(e2e_err "$E2E_TMP/at-bad.err")"
	fi
	e2e_at_fl
}
e2e_attest_time

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
