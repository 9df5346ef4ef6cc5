#!/usr/bin/python3
"""Flow: tpm2-pytss (ESAPI over the TCTI in $TPM2TOOLS_TCTI or argv[1], one persistent
connection): GetRandom, PCR_Extend, PCR_Read and PCR_Event, the expected PCR values
recomputed with hashlib, then the per-command latency over the socket (GetRandom(32) and
PCR_Extend medians). Prints "PASS name" / "FAIL name: detail" and "INFO ..." lines; pytss.sh
counts them."""
import hashlib
import os
import statistics
import sys
import time

from tpm2_pytss import (ESAPI, ESYS_TR, TPM2_ALG, TPM2_CAP, TPM2_CC, TPM2_MAX, TPM2_PT,
                        TPML_DIGEST_VALUES, TPML_PCR_SELECTION, TPMT_HA)

PCR = 16
PCR_TR = ESYS_TR.PCR16
failed = 0


def digests(alg, d):
    """A TPML_DIGEST_VALUES with one digest (pytss 1.2 fills TPMU_HA by member)."""
    h = TPMT_HA(hashAlg=alg)
    setattr(h.digest, {TPM2_ALG.SHA1: "sha1", TPM2_ALG.SHA256: "sha256"}[alg], d)
    return TPML_DIGEST_VALUES([h])


def report(name, ok, detail=""):
    global failed
    if ok:
        print("PASS " + name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, detail), flush=True)


def pcr_value(e, sel):
    _, _, digests = e.pcr_read(TPML_PCR_SELECTION.parse(sel))
    return bytes(digests[0])


def main():
    tcti = sys.argv[1] if len(sys.argv) > 1 else os.environ["TPM2TOOLS_TCTI"]
    with ESAPI(tcti) as e:
        a = bytes(e.get_random(32))
        b = bytes(e.get_random(32))
        report("pytss get_random(32) twice", len(a) == 32 and len(b) == 32 and a != b,
               "%s / %s" % (a.hex(), b.hex()))

        # What Linux does at probe (tpm2_get_cc_attrs_tbl): TPM_PT_TOTAL_COMMANDS, then every
        # command in ONE GetCapability(TPM_CAP_COMMANDS) answer; a mismatch makes the kernel
        # treat the TPM as failed.
        _, props = e.get_capability(TPM2_CAP.TPM_PROPERTIES, TPM2_PT.TOTAL_COMMANDS, 1)
        prop = props.data.tpmProperties[0]
        total = prop.value if prop.property == TPM2_PT.TOTAL_COMMANDS else -1
        more, cmds = e.get_capability(TPM2_CAP.COMMANDS, TPM2_CC.FIRST, TPM2_MAX.CAP_CC)
        n = len(cmds.data.command)
        report("pytss TPM_CAP_COMMANDS in one answer == TPM_PT_TOTAL_COMMANDS (Linux probe)",
               n == total and n > 0 and not more,
               "%d commands, moreData %r, TOTAL_COMMANDS %d" % (n, bool(more), total))

        old = pcr_value(e, "sha256:%d" % PCR)
        d = hashlib.sha256(b"bastion pytss").digest()
        e.pcr_extend(PCR_TR,
                     digests(TPM2_ALG.SHA256, d))
        new = pcr_value(e, "sha256:%d" % PCR)
        exp = hashlib.sha256(old + d).digest()
        report("pytss pcr_extend + pcr_read sha256:%d == H(old || d)" % PCR, new == exp,
               "got %s, expected %s" % (new.hex(), exp.hex()))

        old1 = pcr_value(e, "sha1:%d" % PCR)
        d1 = hashlib.sha1(b"bastion pytss").digest()
        e.pcr_extend(PCR_TR,
                     digests(TPM2_ALG.SHA1, d1))
        new1 = pcr_value(e, "sha1:%d" % PCR)
        report("pytss pcr_extend + pcr_read sha1:%d" % PCR,
               new1 == hashlib.sha1(old1 + d1).digest(), new1.hex())

        # PCR_Event with the password session ESAPI uses by default: the TPM hashes the data
        # in every bank and extends each bank with it.
        data = b"bastion pytss event " * 10
        olds = {alg: pcr_value(e, "%s:%d" % (alg, PCR)) for alg in ("sha1", "sha256", "sha384")}
        got = e.pcr_event(PCR_TR, data)
        by_alg = {}
        for h in got:
            name = {TPM2_ALG.SHA1: "sha1", TPM2_ALG.SHA256: "sha256",
                    TPM2_ALG.SHA384: "sha384"}.get(h.hashAlg)
            if name:
                by_alg[name] = bytes(getattr(h.digest, name))
        bad = []
        for alg in ("sha1", "sha256", "sha384"):
            d_exp = hashlib.new(alg, data).digest()
            if by_alg.get(alg) != d_exp:
                bad.append(alg + " digest")
            if pcr_value(e, "%s:%d" % (alg, PCR)) != hashlib.new(alg, olds[alg] + d_exp).digest():
                bad.append(alg + " pcr")
        report("pytss pcr_event: digests == hashlib, PCRs == H(old || H(data))", not bad,
               ", ".join(bad))

        # Latency over the socket on one persistent connection (the Nagle/delayed-ACK trap
        # shows up here as ~40 ms per command).
        times = []
        for _ in range(300):
            t0 = time.perf_counter()
            e.get_random(32)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times) * 1000
        print("INFO pytss GetRandom(32): median %.3f ms, p90 %.3f ms over %d calls" %
              (med, sorted(times)[int(len(times) * 0.9)] * 1000, len(times)))
        report("pytss GetRandom latency < 10 ms (no Nagle stall)", med < 10.0, "%.3f ms" % med)
        times = []
        dig = digests(TPM2_ALG.SHA256, d)
        for _ in range(300):
            t0 = time.perf_counter()
            e.pcr_extend(PCR_TR, dig)
            times.append(time.perf_counter() - t0)
        print("INFO pytss PCR_Extend(sha256): median %.3f ms over %d calls" %
              (statistics.median(times) * 1000, len(times)))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a TSS error is a failed check, not a crash of the runner
        print("FAIL pytss flow: %s: %s" % (type(exc).__name__, exc))
        sys.exit(1)
