#!/usr/bin/env python3
"""Fuzz campaigns (./do.sh fuzz).

  --iterations N --seed S      random syscalls and invocations in the guest
                               (kernel-fuzz.elf under -icount, so the same seed
                               gives the same run); counts calls, errors by code,
                               kernel panics and broken invariants
  --image [--count M]          mutated ext2 images (bit flips; superblock, group
                               descriptor, inode and directory-entry fields), each
                               mounted in the whole system and used from the shell:
                               the file server may answer errors or crash and be
                               restarted; nothing else may fail
  --json FILE                  write the counts as JSON
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
import system_suite  # noqa: E402

PANIC = re.compile(r"KERNEL PANIC|kernel trap")


def progress(done, total, start):
    width = 40
    frac = min(1.0, done / total) if total else 1.0
    bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
    sys.stderr.write(f"\r[{bar}] {done}/{total} {time.time() - start:.0f} s")
    sys.stderr.flush()


def syscall_campaign(iterations, seed, show=True):
    cmd = system_suite.qemu_cmd("kernel-fuzz.elf") + ["-icount", "shift=0", "-append",
                                                      f"iterations={iterations} seed={seed}"]
    start = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []
    deadline = start + 120 + iterations / 20000
    for raw in p.stdout:
        line = raw.decode(errors="replace").rstrip()
        out.append(line)
        m = re.match(r"fuzz: progress (\d+)", line)
        if m and show:
            progress(int(m.group(1)), iterations, start)
        if time.time() > deadline:
            p.kill()
            break
    p.wait()
    if show:
        sys.stderr.write("\n")
    text = "\n".join(out)
    m = re.search(r"fuzz: calls (\d+) rounds (\d+) invariant_failures (\d+)", text)
    errors = {e: int(n) for e, n in re.findall(r"fuzz: error (.+) (\d+)$", text, re.M)}
    panics = len(PANIC.findall(text)) + (0 if "fuzz: done" in text else 1)
    return {"seed": seed, "iterations": iterations, "calls": int(m.group(1)) if m else 0,
            "rounds": int(m.group(2)) if m else 0, "errors_by_code": errors, "kernel_panics": panics,
            "invariant_failures": int(m.group(3)) if m else 0, "seconds": round(time.time() - start, 1)}


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
    with tempfile.NamedTemporaryFile(suffix=".img", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        cmd = system_suite.qemu_cmd(disk=path)
        try:
            p = subprocess.run(cmd, input=("\n" + "\n".join(COMMANDS) + "\n").encode(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
            return p.stdout.decode(errors="replace"), False
        except subprocess.TimeoutExpired as e:
            return (e.stdout or b"").decode(errors="replace"), True
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
        r = syscall_campaign(a.iterations, a.seed)
        print(f"calls {r['calls']} in {r['rounds']} rounds: kernel panics {r['kernel_panics']}, invariant "
              f"failures {r['invariant_failures']} ({r['seconds']} s, seed {a.seed})")
        for e, n in sorted(r["errors_by_code"].items(), key=lambda x: -x[1]):
            print(f"  {e:24} {n}")
        bad = r["kernel_panics"] + r["invariant_failures"]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
