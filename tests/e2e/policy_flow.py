#!/usr/bin/python3
"""Flow: policy digests in trial sessions (tpm2-pytss, ESAPI), on every TPM whose TCTI is
given: PolicyPCR, PolicyCommandCode, PolicyAuthValue, PolicyPassword, PolicyRestart and
PolicyGetDigest. Each digest is recomputed with hashlib from TPM 2.0 Part 3 (policyDigest_new =
H(policyDigest_old || TPM_CC || arguments)) and, with two TCTIs, compared across the TPMs
(policy digests are deterministic, so Bastion and swtpm must agree byte for byte).
Usage: policy_flow.py TCTI [TCTI2]. Prints "PASS name" / "FAIL name: detail"."""
import hashlib
import struct
import sys

from tpm2_pytss import (ESAPI, ESYS_TR, TPM2_ALG, TPM2_CC, TPM2_SE, TPM2B_DIGEST,
                        TPML_DIGEST_VALUES, TPML_PCR_SELECTION, TPMT_HA, TPMT_SYM_DEF)

CC_POLICY_PCR = 0x17F
CC_POLICY_COMMAND_CODE = 0x16C
CC_POLICY_AUTH_VALUE = 0x16B  # PolicyPassword extends with this code too (Part 3 §23.18)
CC_PCR_EXTEND = 0x182  # a command code both TPMs implement (PolicyCommandCode checks it)
failed = 0


def report(name, ok, detail=""):
    global failed
    if ok:
        print("PASS " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, detail), flush=True)


def h(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def run(tcti):
    """The policy sequence on one TPM; returns (digests, expected digests)."""
    got, exp = {}, {}
    with ESAPI(tcti) as e:
        # Same PCR 16 on every TPM: reset, then one known extend.
        e.pcr_reset(ESYS_TR.PCR16)
        ha = TPMT_HA(hashAlg=TPM2_ALG.SHA256)
        ha.digest.sha256 = h(b"policy flow")
        e.pcr_extend(ESYS_TR.PCR16, TPML_DIGEST_VALUES([ha]))
        pcr16 = h(bytes(32), h(b"policy flow"))

        s = e.start_auth_session(tpm_key=ESYS_TR.NONE, bind=ESYS_TR.NONE,
                                 session_type=TPM2_SE.TRIAL,
                                 symmetric=TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL),
                                 auth_hash=TPM2_ALG.SHA256)
        try:
            got["empty"] = bytes(e.policy_get_digest(s))
            exp["empty"] = bytes(32)
            # PolicyPCR(pcrDigest empty: the TPM uses the current values), sha256:16.
            e.policy_pcr(s, TPM2B_DIGEST(b""), TPML_PCR_SELECTION.parse("sha256:16"))
            sel = struct.pack(">IHB3s", 1, 0x000B, 3, b"\x00\x00\x01")
            exp["pcr"] = h(bytes(32), struct.pack(">I", CC_POLICY_PCR), sel, h(pcr16))
            got["pcr"] = bytes(e.policy_get_digest(s))
            e.policy_command_code(s, TPM2_CC.PCR_Extend)
            exp["pcr+cc"] = h(exp["pcr"], struct.pack(">II", CC_POLICY_COMMAND_CODE, CC_PCR_EXTEND))
            got["pcr+cc"] = bytes(e.policy_get_digest(s))
            e.policy_auth_value(s)
            exp["pcr+cc+authvalue"] = h(exp["pcr+cc"], struct.pack(">I", CC_POLICY_AUTH_VALUE))
            got["pcr+cc+authvalue"] = bytes(e.policy_get_digest(s))
            e.policy_restart(s)
            got["restart"] = bytes(e.policy_get_digest(s))
            exp["restart"] = bytes(32)
            e.policy_password(s)
            exp["password"] = h(bytes(32), struct.pack(">I", CC_POLICY_AUTH_VALUE))
            got["password"] = bytes(e.policy_get_digest(s))
        finally:
            e.flush_context(s)
    return got, exp


def main():
    results = []
    for tcti in sys.argv[1:]:
        kind = tcti.split(":", 1)[0]
        try:
            got, exp = run(tcti)
        except Exception as exc:  # a TSS error is a failed check
            report("policy digests (%s)" % kind, False, "%s: %s" % (type(exc).__name__, exc))
            results.append(None)
            continue
        bad = [k for k in exp if got.get(k) != exp[k]]
        report("policy digests == hashlib (%s): %s" % (kind, ", ".join(exp)), not bad,
               "; ".join("%s got %s expected %s" % (k, got.get(k, b"").hex(), exp[k].hex())
                         for k in bad))
        results.append(got)
    if len(results) == 2:
        a, b = results
        report("policy digests identical on %s and %s" % tuple(t.split(":", 1)[0]
                                                             for t in sys.argv[1:3]),
               a is not None and a == b,
               "; ".join("%s %s vs %s" % (k, a.get(k, b"").hex(), (b or {}).get(k, b"").hex())
                         for k in (a or {}) if a.get(k) != (b or {}).get(k)) or "one side failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
