#!/usr/bin/env python3
"""Shrinks a vtpm_execute history (the inputs a finding needed, fuzz_vtpm_execute.c) to the
inputs that still reproduce it, then concatenates them into one self-contained input.

usage: tests/fuzz/min_history.py BINARY HISTORY_DIR OUT_FILE [PATTERN]

A run "reproduces" when the binary, replaying the kept inputs in order from the fresh
snapshot, exits non-zero and (if given) prints PATTERN. Greedy chunk removal (ddmin-like),
then the kept inputs are joined into OUT_FILE; since each input is whole commands, the
concatenation replays the same commands, and it is checked to reproduce alone.
"""
import os
import subprocess
import sys
import tempfile


def reproduces(binary, blobs, pattern):
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, b in enumerate(blobs):
            p = os.path.join(d, f"{i:06d}")
            with open(p, "wb") as f:
                f.write(b)
            paths.append(p)
        env = dict(os.environ, FUZZ_VTPM_HISTORY=os.path.join(d, "h"))
        r = subprocess.run([binary] + paths, capture_output=True, env=env, timeout=120)
        out = r.stdout + r.stderr
        return r.returncode != 0 and (pattern is None or pattern.encode() in out)


def main():
    binary, hist, out = sys.argv[1:4]
    pattern = sys.argv[4] if len(sys.argv) > 4 else None
    blobs = [open(os.path.join(hist, n), "rb").read() for n in sorted(os.listdir(hist))]
    if not reproduces(binary, blobs, pattern):
        sys.exit("the full history does not reproduce")
    chunk = len(blobs) // 2
    while chunk >= 1:
        i = 0
        while i < len(blobs):
            trial = blobs[:i] + blobs[i + chunk:]
            if trial and reproduces(binary, trial, pattern):
                blobs = trial
            else:
                i += chunk
        chunk //= 2
    joined = b"".join(blobs)
    with open(out, "wb") as f:
        f.write(joined)
    alone = reproduces(binary, [joined], pattern)
    print(f"{len(blobs)} inputs kept, {len(joined)} bytes in {out}; reproduces alone: {alone}")


if __name__ == "__main__":
    main()
