#!/usr/bin/env bash
# Flow: primary keys and objects through tpm2-tools. tpm2_createprimary (-C o/e/n, -G
# rsa2048 and ecc256) twice must give the same public area (tpm2_readpublic: primary keys
# are derived from the hierarchy seed and the template, TPM 2.0 Part 1 "Primary Keys"); the
# Name tpm2_readpublic prints must be nameAlg || SHA-256(TPMT_PUBLIC) recomputed here;
# tpm2_create + tpm2_load of an ECC key under the primary; every step runs through
# ContextSave/ContextLoad (tpm2-tools keeps each object in a .ctx file) and FlushContext;
# tpm2_evictcontrol makes the primary persistent (0x81000005), uses it as a parent, evicts it.
[ "${BASH_SOURCE[0]}" != "$0" ] || { . "$(dirname "$0")/common.sh"; e2e_standalone "$@"; }

# Without a resource manager every tpm2-tools call leaves the objects it loaded (from .ctx
# files) in the TPM's three transient slots (and policy sessions in the session slots): flush them after each call.
e2e_fl() { tpm2_flushcontext -t >/dev/null 2>&1; tpm2_flushcontext -l >/dev/null 2>&1; }
e2e_runf() { e2e_run "$@"; local rc=$?; e2e_fl; return $rc; }
e2e_okf() { e2e_ok "$@"; e2e_fl; }

e2e_object_flow() {
	local h g d n1 n2 pub
	d=$E2E_TMP/obj
	mkdir -p "$d"
	for h in o e n; do
		for g in ecc256 rsa2048; do
			if e2e_runf "cp1-$h-$g" tpm2_createprimary -Q -C "$h" -G "$g" -c "$d/p1.ctx" &&
				e2e_runf "rp1-$h-$g" tpm2_readpublic -c "$d/p1.ctx" -o "$d/p1.pub" -n "$d/p1.name" &&
				e2e_runf "cp2-$h-$g" tpm2_createprimary -Q -C "$h" -G "$g" -c "$d/p2.ctx" &&
				e2e_runf "rp2-$h-$g" tpm2_readpublic -c "$d/p2.ctx" -o "$d/p2.pub" -n "$d/p2.name"; then
				n1=$(e2e_hex "$d/p1.name")
				n2=$(e2e_hex "$d/p2.name")
				e2e_eq "createprimary -C $h -G $g twice: same Name" "$n1" "$n2"
				# p1.pub is a TPM2B_PUBLIC: skip the size, hash the TPMT_PUBLIC.
				pub=$(tail -c +3 "$d/p1.pub" | e2e_digest sha256)
				e2e_eq "createprimary -C $h -G $g: Name = 000b || SHA-256(public)" "000b$pub" "$n1"
			else
				t_fail "createprimary -C $h -G $g" "$(e2e_err "$E2E_TMP/cp1-$h-$g.err") $(e2e_err "$E2E_TMP/rp1-$h-$g.err")"
			fi
			e2e_fl
		done
	done
	# Different hierarchies give different keys.
	e2e_runf o1 tpm2_createprimary -Q -C o -G ecc256 -c "$d/o.ctx"
	e2e_runf o2 tpm2_readpublic -c "$d/o.ctx" -n "$d/o.name"
	e2e_runf e1 tpm2_createprimary -Q -C e -G ecc256 -c "$d/e.ctx"
	e2e_runf e2 tpm2_readpublic -c "$d/e.ctx" -n "$d/e.name"
	if [ -s "$d/o.name" ] && [ -s "$d/e.name" ] &&
		[ "$(e2e_hex "$d/o.name")" != "$(e2e_hex "$d/e.name")" ]; then
		t_pass "owner and endorsement primaries differ"
	else
		t_fail "owner and endorsement primaries differ" "same or missing Names"
	fi
	# Create and load an ordinary key under the owner primary.
	e2e_okf "create ecc256 key" tpm2_create -Q -C "$d/o.ctx" -G ecc256 -u "$d/k.pub" -r "$d/k.priv"
	e2e_okf "load ecc256 key" tpm2_load -Q -C "$d/o.ctx" -u "$d/k.pub" -r "$d/k.priv" -c "$d/k.ctx"
	e2e_okf "readpublic of the loaded key" tpm2_readpublic -c "$d/k.ctx"
	e2e_okf "create rsa2048 key" tpm2_create -Q -C "$d/o.ctx" -G rsa2048 -u "$d/r.pub" -r "$d/r.priv"
	e2e_okf "load rsa2048 key" tpm2_load -Q -C "$d/o.ctx" -u "$d/r.pub" -r "$d/r.priv" -c "$d/r.ctx"
	# EvictControl: the owner primary becomes persistent 0x81000005, works as a parent,
	# shows in TPM_CAP_HANDLES, and is evicted again.
	tpm2_evictcontrol -C o -c 0x81000005 >/dev/null 2>&1 # leftover of an earlier run
	e2e_fl
	e2e_okf "evictcontrol -C o 0x81000005" tpm2_evictcontrol -C o -c "$d/o.ctx" 0x81000005
	if e2e_runf getpers tpm2_getcap handles-persistent && grep -q 0x81000005 "$E2E_TMP/getpers.out"; then
		t_pass "getcap handles-persistent lists 0x81000005"
	else
		t_fail "getcap handles-persistent lists 0x81000005" "$(head -c 200 "$E2E_TMP/getpers.out")"
	fi
	if e2e_runf rp-pers tpm2_readpublic -c 0x81000005 -n "$d/pers.name" &&
		[ "$(e2e_hex "$d/pers.name")" = "$(e2e_hex "$d/o.name")" ]; then
		t_pass "readpublic 0x81000005: the primary's Name"
	else
		t_fail "readpublic 0x81000005: the primary's Name" "$(e2e_err "$E2E_TMP/rp-pers.err")"
	fi
	e2e_okf "create under the persistent parent" tpm2_create -Q -C 0x81000005 -G ecc256 -u "$d/k2.pub" -r "$d/k2.priv"
	e2e_okf "load under the persistent parent" tpm2_load -Q -C 0x81000005 -u "$d/k2.pub" -r "$d/k2.priv" -c "$d/k2.ctx"
	e2e_okf "evictcontrol removes 0x81000005" tpm2_evictcontrol -C o -c 0x81000005
	if e2e_runf getpers2 tpm2_getcap handles-persistent && ! grep -q 0x81000005 "$E2E_TMP/getpers2.out"; then
		t_pass "0x81000005 gone"
	else
		t_fail "0x81000005 gone" "$(head -c 200 "$E2E_TMP/getpers2.out")"
	fi
	# TPM_CAP_HANDLES transient list is empty again after tpm2-tools flushed everything.
	tpm2_flushcontext -t >/dev/null 2>&1
	if e2e_runf gethandles tpm2_getcap handles-transient && ! grep -q 0x80 "$E2E_TMP/gethandles.out"; then
		t_pass "no transient objects left"
	else
		t_fail "no transient objects left" "$(head -c 200 "$E2E_TMP/gethandles.out")"
	fi
}
e2e_object_flow

[ "${BASH_SOURCE[0]}" != "$0" ] || t_summary
