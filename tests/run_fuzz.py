#!/usr/bin/env python3
"""Fuzz campaigns (./do.sh fuzz).

  --iterations N --seed S      structured syscalls and invocations in the guest
                               (kernel-fuzz.elf under -icount, so the same seed
                               gives the same run); counts calls, errors by code,
                               kernel panics, broken invariants (the kernel's
                               self-check and the fuzzer's stale-mapping oracle)
  --coverage                   the same on a kernel built for coverage (folder
                               build-fuzzcov, or --cov-build DIR; made if missing):
                               programs that reach new kernel code are kept and
                               mutated, and the share of kernel lines reached is
                               printed by file and written, line by line, to
                               DIR/fuzz-coverage/*.c.txt
  --known                      no random calls: play the known holes straight
                               (1: a page table outliving its VSpace keeps its
                               entries, issue 10; 2: a page table mapped twice
                               through a copy of its cap) and say whether the
                               oracle saw each
  --image [--count M]          mutated ext2 images (bit flips; superblock, group
                               descriptor, inode and directory-entry fields), each
                               mounted in the whole system and used from the shell:
                               the file server may answer errors or crash and be
                               restarted; nothing else may fail
  --json FILE                  write the counts as JSON

A syscall run is `complete` when the guest printed its counts for at least
the calls asked and "fuzz: done", without a harness failure, a panic, a
watchdog kill or a non-zero QEMU status; `ok` when it is complete and found
no panic and no broken invariant. The exit status is 0 only when ok.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))
import coverage  # noqa: E402
import qemu_run  # noqa: E402

PANIC = qemu_run.PANIC
ROOT = qemu_run.ROOT
QUIET = 60   # seconds without a line from the guest: it hangs


def progress(done, total, start):
    width = 40
    frac = min(1.0, done / total) if total else 1.0
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    sys.stderr.write(f"\r[{bar}] {done}/{total} {time.time() - start:.0f} s")
    sys.stderr.flush()


def commit():
    p = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return p.stdout.decode().strip()


def why_incomplete(r, res, iterations):
    """Why the run is not complete, or ''."""
    if r["harness_failure"]:
        return "harness failure: " + r["harness_failure"]
    if not res.ok:
        return res.why
    if r["calls"] is None:
        return "no 'fuzz: calls' line"
    if r["calls"] < iterations:
        return f"{r['calls']} calls of {iterations}"
    return ""


def syscall_campaign(iterations, seed, show=True, build=None, keep_output=False, known=False):
    """One run of kernel-fuzz.elf (of `build`, default K4_BUILD): a dict of
    what it found (with the guest's output under 'out' if asked). `known`:
    instead, play the known holes straight (no calls asked)."""
    iterations = 0 if known else iterations
    cmd = qemu_run.qemu_cmd("kernel-fuzz.elf", build=build,
                            args=["-icount", "shift=0", "-append",
                                  f"iterations={iterations} seed={seed}" + (" known=1" if known else "")])
    start = time.time()
    if show:
        sys.stderr.write(f"fuzz: {iterations} calls, seed {seed} ...\n")
    res = qemu_run.run(cmd, timeout=300 + iterations / 2000, quiet=QUIET, expect="fuzz: done")
    text = res.out.replace("\r\n", "\n")
    m = re.search(r"fuzz: calls (\d+) rounds (\d+) invariant_failures (\d+)", text)
    o = re.search(r"fuzz: oracle probes (\d+) stale (\d+) first_stale_call (\d+)", text)
    c = re.search(r"fuzz: coverage points (\d+) corpus (\d+)", text)
    h = re.search(r"fuzz: harness failure (.*)", text)
    seconds = time.time() - start
    r = {"seed": seed, "iterations": iterations, "commit": commit(), "calls": int(m.group(1)) if m else None,
         "rounds": int(m.group(2)) if m else 0,
         "errors_by_code": {e: int(n) for e, n in re.findall(r"fuzz: error (.+) (\d+)$", text, re.M)},
         "kernel_panics": len(PANIC.findall(text)) or int(res.panicked),
         "invariant_failures": int(m.group(3)) if m else 0,
         "self_check_messages": re.findall(r"^self-check: .*$", text, re.M),
         "oracle_probes": int(o.group(1)) if o else 0, "stale_mappings": int(o.group(2)) if o else 0,
         "first_stale_call": int(o.group(3)) if o else 0,
         "oracle_findings": re.findall(r"^fuzz: oracle: .*$", text, re.M),
         "coverage_points": int(c.group(1)) if c else 0, "corpus": int(c.group(2)) if c else 0,
         "known_holes": {int(k): int(n) for k, n in re.findall(r"fuzz: known hole (\d+) stale (\d+)", text)},
         "harness_failure": h.group(1).strip() if h else None, "qemu_status": res.code,
         "seconds": round(seconds, 1)}
    r["calls_per_second"] = round((r["calls"] or 0) / seconds) if seconds else 0
    r["why"] = why_incomplete(r, res, iterations)
    r["complete"] = r["why"] == ""
    r["ok"] = r["complete"] and r["kernel_panics"] == 0 and r["invariant_failures"] == 0
    if keep_output:
        r["out"] = text
    return r


def coverage_build(folder):
    """Configure (if need be) and build the coverage kernel in folder."""
    if not os.path.isfile(os.path.join(folder, "build.ninja")):
        subprocess.run(["meson", "setup", folder, "--cross-file", os.path.join(ROOT, "cross-riscv64.ini"),
                        "-Dfuzz_coverage=true"], cwd=ROOT, check=True, stdout=sys.stderr)
    else:
        subprocess.run(["meson", "configure", folder, "-Dfuzz_coverage=true"], cwd=ROOT, check=True,
                       stdout=sys.stderr)
    subprocess.run(["ninja", "-C", folder, "kernel-fuzz.elf"], check=True, stdout=sys.stderr)


def coverage_report(r, folder):
    """Adds the coverage of the run to r, prints it by file, writes the
    annotated sources."""
    end = re.search(r"kcov: end (\d+)", r["out"])
    points = len(coverage.reached_return_addresses(r["out"]))
    if not end or int(end.group(1)) != points or not points:
        r["why"] = r["why"] or ("no coverage from the kernel (built without -Dfuzz_coverage?)" if not end else
                                f"the kernel's coverage dump is garbled ({points} points, it says {end.group(1)})")
        r["complete"] = r["ok"] = False
    files = coverage.analyse(os.path.join(folder, "kernel-fuzz.elf"), r["out"], os.path.join(ROOT, "kernel"))
    s = coverage.summary(files)
    out_dir = os.path.join(folder, "fuzz-coverage")
    coverage.annotate(files, out_dir)
    with open(os.path.join(out_dir, "guest-output.txt"), "w") as f:   # to analyse again
        f.write(r["out"])
    print(f"{'kernel file':16} {'lines':>13} {'%':>6} {'basic blocks':>13} {'%':>6}")
    for name, f in s["files"].items():
        print(f"{name:16} {f['lines_reached']:6}/{f['lines']:<6} {f['line_coverage']:6.1f} "
              f"{f['blocks_reached']:6}/{f['blocks']:<6} {f['block_coverage']:6.1f}")
    print(f"{'all':16} {s['lines_reached']:6}/{s['lines']:<6} {s['kernel_line_coverage']:6.1f} "
          f"{s['blocks_reached']:6}/{s['blocks']:<6} {s['kernel_block_coverage']:6.1f}")
    print("left out: " + ", ".join(list(coverage.EXCLUDED_FILES) + [f + "()" for f in coverage.EXCLUDED_FUNCTIONS])
          + ", the power-off invocation, every line calling panic()")
    print(f"annotated sources ('+' reached, '-' not, 'x' left out): {out_dir}/")
    r["coverage"] = s
    r["kernel_line_coverage"] = s["kernel_line_coverage"]
    r["kernel_block_coverage"] = s["kernel_block_coverage"]


# --- images -------------------------------------------------------------

# Bounded work only: a mutated size may make a file 4 GiB of holes, which
# cat would faithfully print for hours.
COMMANDS = ["ls /", "ls -l /d", "stat /small", "peek /small 0 64", "peek /big 60000 64", "peek /d/e/f 0 16",
            "write /new 3000 1", "mkdir /m", "echo x >> /small", "mv /small /d/moved", "rm /big", "ls /", "sync",
            "echo alive", "poweroff"]


def base_image(path):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "d", "e"))
        files = {"small": b"small file\n", "big": bytes(random.Random(1).getrandbits(8) for _ in range(70000)),
                 "d/e/f": b"deep\n"}
        for i in range(30):
            files[f"d/n{i}"] = b"%d\n" % i
        for n, data in files.items():
            with open(os.path.join(d, n), "wb") as f:
                f.write(data)
        subprocess.run([shutil.which("mke2fs") or "/usr/sbin/mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024",
                        "-N", "64", "-d", d, path, "1M"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def layout(img):
    """Offsets of the structures worth mutating, from the superblock and the
    first group descriptor."""
    sb = img[1024:2048]
    bs = 1024 << struct.unpack_from("<I", sb, 24)[0]
    gd = img[2048:2080] if bs == 1024 else img[bs:bs + 32]
    itable = struct.unpack_from("<I", gd, 8)[0] * bs
    isize = struct.unpack_from("<H", sb, 88)[0] if struct.unpack_from("<I", sb, 76)[0] else 128
    root = struct.unpack_from("<I", img, itable + isize + 40)[0] * bs   # inode 2, block[0]
    return {"bs": bs, "gdt": 2048 if bs == 1024 else bs, "itable": itable, "isize": isize, "root": root}


def mutate(img, rng):
    img = bytearray(img)
    lay = layout(img)
    kind = rng.randrange(5)
    interesting = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, rng.getrandbits(32)]
    if kind == 0:   # bit flips in the metadata
        for _ in range(rng.randrange(1, 16)):
            off = rng.randrange(1024, lay["root"] + lay["bs"])
            img[off] ^= 1 << rng.randrange(8)
    elif kind == 1:   # a superblock field
        struct.pack_into("<I", img, 1024 + 4 * rng.randrange(26), rng.choice(interesting))
    elif kind == 2:   # a group descriptor field
        struct.pack_into("<I", img, lay["gdt"] + 4 * rng.randrange(5), rng.choice(interesting))
    elif kind == 3:   # an inode field (size, blocks, links, a block pointer)
        ino = rng.randrange(1, 40)
        base = lay["itable"] + (ino - 1) * lay["isize"]
        off = rng.choice([0, 4, 26, 28, 32] + [40 + 4 * i for i in range(15)])
        fmt = "<H" if off in (0, 26) else "<I"
        struct.pack_into(fmt, img, base + off, rng.choice(interesting) & (0xFFFF if fmt == "<H" else 0xFFFFFFFF))
    else:   # a directory entry of the root directory
        off = lay["root"] + rng.choice([0, 12, 24, 36, 48, 60])
        field = rng.choice([(0, "<I"), (4, "<H"), (6, "<B"), (7, "<B")])
        val = rng.choice(interesting) & {"<I": 0xFFFFFFFF, "<H": 0xFFFF, "<B": 0xFF}[field[1]]
        struct.pack_into(field[1], img, off + field[0], val)
    return bytes(img), kind


def run_image(data, timeout=60):
    """Boot the system on the image and type COMMANDS: (output, hung)."""
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        r = qemu_run.run(qemu_run.qemu_cmd("kernel-run.elf", disk=path), input="\n" + "\n".join(COMMANDS) + "\n",
                         timeout=timeout, quiet=30)
        return r.out + ("\nKERNEL PANIC: exit status %d" % r.code if r.panicked and not PANIC.search(r.out) else ""), \
            r.timed_out
    finally:
        os.unlink(path)


def judge(out, hung):
    crashed = re.findall(r"init: task (\S+) crashed", out)
    return {"panic": bool(PANIC.search(out)), "hang": hung or "\nalive" not in out.replace("\r", ""),
            "fs_crash": crashed.count("fs"), "others_crashed": [t for t in crashed if t != "fs"],
            "fs_errors": len(re.findall(r": (corrupt file system|i/o error)", out))}


def image_campaign(count, seed, jobs=2, show=True):
    with tempfile.TemporaryDirectory() as tmp:
        base_path = os.path.join(tmp, "base.img")
        base_image(base_path)
        with open(base_path, "rb") as f:
            base = f.read()
    rng = random.Random(seed)
    images = [mutate(base, random.Random(rng.getrandbits(64))) for _ in range(count)]
    totals = {"seed": seed, "images": count, "kernel_panics": 0, "hangs": 0, "other_task_failures": 0,
              "fs_crashes": 0, "fs_error_answers": 0, "by_mutation": {}, "failing": []}
    start, done = time.time(), 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_image, data): (i, kind) for i, (data, kind) in enumerate(images)}
        for fut in concurrent.futures.as_completed(futures):
            i, kind = futures[fut]
            v = judge(*fut.result())
            totals["kernel_panics"] += v["panic"]
            totals["hangs"] += v["hang"]
            totals["other_task_failures"] += len(v["others_crashed"])
            totals["fs_crashes"] += v["fs_crash"]
            totals["fs_error_answers"] += v["fs_errors"]
            name = ["bitflip", "superblock", "group", "inode", "dirent"][kind]
            totals["by_mutation"][name] = totals["by_mutation"].get(name, 0) + 1
            if v["panic"] or v["hang"] or v["others_crashed"]:
                totals["failing"].append(i)
            done += 1
            if show:
                progress(done, count, start)
    if show:
        sys.stderr.write("\n")
    totals["seconds"] = round(time.time() - start, 1)
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--coverage", action="store_true")
    ap.add_argument("--known", action="store_true")
    ap.add_argument("--cov-build", default=os.path.join(ROOT, "build-fuzzcov"))
    ap.add_argument("--image", action="store_true")
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.image:
        r = image_campaign(a.count, a.seed, a.jobs)
        print(f"images {r['images']}: kernel panics {r['kernel_panics']}, hangs {r['hangs']}, other tasks "
              f"failed {r['other_task_failures']}, fs crashes (restarted) {r['fs_crashes']}, fs error answers "
              f"{r['fs_error_answers']} ({r['seconds']} s, seed {a.seed})")
        bad = r["kernel_panics"] + r["hangs"] + r["other_task_failures"]
    else:
        if a.coverage:
            coverage_build(a.cov_build)
        r = syscall_campaign(a.iterations, a.seed, build=a.cov_build if a.coverage else None,
                             keep_output=a.coverage, known=a.known)
        print(f"calls {r['calls']} in {r['rounds']} rounds: kernel panics {r['kernel_panics']}, invariant "
              f"failures {r['invariant_failures']} (stale mappings {r['stale_mappings']} in "
              f"{r['oracle_probes']} probes) ({r['seconds']} s, {r['calls_per_second']} calls/s, seed {a.seed})")
        for e, n in sorted(r["errors_by_code"].items(), key=lambda x: -x[1]):
            print(f"  {e:24} {n}")
        for line in r["self_check_messages"][:20] + r["oracle_findings"][:20]:
            print("  " + line)
        for k, n in r["known_holes"].items():
            print(f"known hole {k}: {'FOUND by the oracle' if n else 'not there'} ({n} stale reads)")
        if a.coverage:
            coverage_report(r, a.cov_build)
        if not r["complete"]:
            print(f"fuzz run failed: {r['why']}")
        r.pop("out", None)
        bad = not r["ok"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
