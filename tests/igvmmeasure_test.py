#!/usr/bin/env python3
"""igvmmeasure_test.py TOOLS_DIR IGVM: checks build/tools/igvmmeasure against an independent
implementation of the SNP launch digest (ABI reference 5.6), here in Python with hashlib, on
tiny IGVM files written by this script, and its --check-kvm rules on crafted bad files.
Prints PASS/FAIL lines and "N passed, N failed"."""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zlib

PAGE = 4096
VMSA_GPA = 0xFFFFFFFFF000
passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS " + name)
    else:
        failed += 1
        print("FAIL %s%s" % (name, ": " + detail if detail else ""))


def tlv(t, body):
    pad = (-len(body)) % 8
    return struct.pack("<II", t, len(body)) + body + b"\0" * pad


def igvm(headers, data_region):
    """headers: list of (type, body-builder(data_base) -> bytes); data offsets are relative to
    the data region, which follows the variable headers."""
    # Two passes: the size of the headers does not depend on the offsets.
    var = b"".join(tlv(t, b(0)) for t, b in headers)
    base = 0x18 + len(var)
    var = b"".join(tlv(t, b(base)) for t, b in headers)
    total = 0x18 + len(var) + len(data_region)
    fixed = struct.pack("<IIIIII", 0x4D564749, 1, 0x18, len(var), total, 0)
    crc = zlib.crc32(fixed + var) & 0xFFFFFFFF
    fixed = struct.pack("<IIIIII", 0x4D564749, 1, 0x18, len(var), total, crc)
    return fixed + var + data_region


def platform_snp():
    return (0x001, lambda base: struct.pack("<IBBHQ", 1, 0, 2, 1, 0))


def param_area(index, nbytes):
    return (0x301, lambda base: struct.pack("<QII", nbytes, index, 0))


def param_insert(gpa, index):
    return (0x303, lambda base: struct.pack("<QII", gpa, 1, index))


def page_data(gpa, off, flags=0, dtype=0):
    return (0x302, lambda base: struct.pack("<QIIIHH", gpa, 1, 0 if off is None else base + off,
                                            flags, dtype, 0))


def vp_context(gpa, off, vp=0):
    return (0x304, lambda base: struct.pack("<QIIHH", gpa, 1, base + off, vp, 0))


def vmsa(cr0=0x31, sev=1, extra=None):
    v = bytearray(PAGE)
    struct.pack_into("<Q", v, 0x158, cr0)        # CR0
    struct.pack_into("<Q", v, 0x3B0, sev)        # SEV_FEATURES
    struct.pack_into("<Q", v, 0x178, 0x10020000)  # RIP
    struct.pack_into("<HHIQ", v, 0x10, 0x08, 0xC9B, 0xFFFFFFFF, 0)  # CS
    struct.pack_into("<Q", v, 0xD0, 0x1000)      # EFER.SVME
    struct.pack_into("<Q", v, 0x3E8, 1)          # XCR0
    if extra:
        off, val = extra
        v[off] = val
    return bytes(v)


def page_info(digest, contents, ptype, gpa):
    return hashlib.sha384(digest + contents + struct.pack("<HBBBBBBQ", 0x70, ptype, 0, 0, 0, 0, 0,
                                                          gpa)).digest()


def reference(pages, vmsas):
    """pages: (type, contents or None, gpa) in launch order; vmsas: list of 4 KiB pages."""
    d = b"\0" * 48
    for ptype, contents, gpa in pages:
        c = hashlib.sha384(contents).digest() if ptype == 1 else b"\0" * 48
        d = page_info(d, c, ptype, gpa)
    for v in vmsas:
        d = page_info(d, hashlib.sha384(v).digest(), 2, VMSA_GPA)
    return d.hex()


def run(tool, path, *args):
    r = subprocess.run([tool, *args, path], capture_output=True, text=True)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def main():
    tools, image = sys.argv[1], sys.argv[2]
    tool = os.path.join(tools, "igvmmeasure")
    tmp = tempfile.mkdtemp(prefix="igvmmeasure.")
    data_page = bytes((i * 7 + 3) & 0xFF for i in range(PAGE))
    short = b"mostly zero page".ljust(PAGE, b"\0")
    good_vmsa = vmsa()
    region = data_page + good_vmsa + short

    def write(name, headers, reg=region):
        p = os.path.join(tmp, name)
        open(p, "wb").write(igvm(headers, reg))
        return p

    hdrs = [platform_snp(), param_area(0, 3 * PAGE), param_area(1, PAGE), param_insert(0x40000, 0),
            page_data(0x1000, 0), page_data(0x2000, None), page_data(0x3000, 0, flags=2),
            page_data(0x4000, None, dtype=1), page_data(0x5000, None, dtype=2),
            page_data(0x6000, 2 * PAGE), vp_context(VMSA_GPA, PAGE)]
    good = write("good.igvm", hdrs)
    pages = [(4, None, 0x40000), (4, None, 0x41000), (4, None, 0x42000),
             (1, data_page, 0x1000), (1, b"\0" * PAGE, 0x2000), (4, None, 0x3000),
             (5, None, 0x4000), (6, None, 0x5000), (1, short, 0x6000)]
    want1 = reference(pages, [good_vmsa])
    rc, out, err = run(tool, good, "--quiet")
    check(rc == 0 and out == want1, "igvmmeasure: 1 vCPU digest == independent Python digest",
          "rc %d out %s err %s want %s" % (rc, out, err, want1))
    ap = bytes((i * 13) & 0xFF for i in range(PAGE))
    ap_path = os.path.join(tmp, "ap.vmsa")
    open(ap_path, "wb").write(ap)
    want3 = reference(pages, [good_vmsa, ap, ap])
    rc, out, err = run(tool, good, "--quiet", "--vcpus", "3", "--ap-vmsa", ap_path)
    check(rc == 0 and out == want3, "igvmmeasure: 3 vCPUs (one VMSA each, APs from --ap-vmsa)",
          "rc %d out %s err %s" % (rc, out, err))
    check(want1 != want3, "igvmmeasure: the vCPU count changes the digest")
    rc, out, err = run(tool, good, "--check-kvm")
    check(rc == 0 and "QEMU/KVM rules: ok" in out, "igvmmeasure --check-kvm: good tiny file passes",
          err)
    rc, out, err = run(tool, image, "--check-kvm")
    check(rc == 0, "igvmmeasure --check-kvm: %s passes" % os.path.basename(image), err)
    # A changed byte of a measured page changes the digest; of an unmeasured one does not.
    flipped = bytearray(region)
    flipped[100] ^= 1
    rc, out, _ = run(tool, write("flip.igvm", hdrs, bytes(flipped)), "--quiet")
    check(rc == 0 and out != want1, "igvmmeasure: a flipped data byte changes the digest")

    # Each bad file must be a valid IGVM file (the digest still computes) that breaks exactly
    # the named rule (the refusal names it).
    bad = {
        "VMSA at another GPA": ([h if h[0] != 0x304 else vp_context(0x7000, PAGE) for h in hdrs],
                                "0xfffffffff000"),
        "two VMSAs": (hdrs + [vp_context(VMSA_GPA, PAGE, vp=1)], "2 SEV-SNP VMSAs"),
        "page data after the VMSA": (hdrs + [page_data(0x8000, 0)], "not the last"),
        "PARAMETER_INSERT after PAGE_DATA": (hdrs[:5] + [param_insert(0x50000, 1)] + hdrs[5:],
                                             "PARAMETER_INSERT after PAGE_DATA"),
    }
    for what, (h, reason) in bad.items():
        p = write("bad.igvm", h)
        rc0, _, err0 = run(tool, p, "--quiet")
        rc, _, err = run(tool, p, "--check-kvm")
        # (The parser itself already refuses a VMSA elsewhere: it is KVM's fixed GPA.)
        check((rc0 == 0 or what == "VMSA at another GPA") and rc == 1 and reason in err,
              "igvmmeasure --check-kvm refuses: " + what, "%s / %s" % (err0, err))
    for what, (v, reason) in {"CR0 0x80000011": (vmsa(cr0=0x80000011), "CR0"),
                              "no SNPActive in SEV_FEATURES": (vmsa(sev=0), "SNPActive"),
                              "CPL (a field KVM does not take) set": (vmsa(extra=(0xCB, 3)),
                                                                      "byte 0xcb"),
                              "a reserved VMSA byte set": (vmsa(extra=(0x800, 1)),
                                                           "byte 0x800")}.items():
        p = write("bad.igvm", hdrs, data_page + v + short)
        rc0, _, err0 = run(tool, p, "--quiet")
        rc, _, err = run(tool, p, "--check-kvm")
        check(rc0 == 0 and rc == 1 and reason in err,
              "igvmmeasure --check-kvm refuses: " + what, "%s / %s" % (err0, err))
    rc, _, err = run(tool, write("nosnp.igvm", [(0x001, lambda b: struct.pack("<IBBHQ", 1, 0, 0, 1, 0))]
                                 + hdrs[1:-1]))
    check(rc == 1 and "SEV-SNP" in err, "igvmmeasure: a file without an SNP platform is refused", err)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
