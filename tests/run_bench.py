#!/usr/bin/env python3
"""Run the kernel benchmarks under QEMU with -icount shift=0 (rdinstret
then counts guest instructions exactly), print a table and write
build/bench/results.json. With --compare OLD.json, also print the change
against an earlier results file."""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
REFERENCE = {  # measured on this QEMU, from the issue, for scale
    "ipc_roundtrip_cross_as": "seL4 fastpath 538, slowpath 1731",
    "null_syscall": "xv6 getpid 1130",
}


def run_guest():
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic", "-icount", "shift=0",
           "-bios", FIRMWARE, "-kernel", os.path.join(BUILD, "kernel-bench.elf")]
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=600).stdout.decode(errors="replace")
    results = []
    for line in out.splitlines():
        m = re.match(r"BENCH (\S+) (\d+) (\d+) (\d+) (\d+)", line)
        if m:
            results.append({"name": m.group(1), "median_instr": int(m.group(2)), "min_instr": int(m.group(3)),
                            "max_instr": int(m.group(4)), "iterations": int(m.group(5))})
    if "kbench: done" not in out:
        sys.stderr.write(out[-3000:])
        raise SystemExit("benchmark run did not finish")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--compare", metavar="OLD.json", help="print the change against an earlier run")
    args = ap.parse_args()
    results = run_guest()
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    path = os.path.join(BUILD, "bench", "results.json")
    with open(path, "w") as f:
        json.dump({"results": results}, f, indent=2)
    old = {}
    if args.compare:
        with open(args.compare) as f:
            old = {r["name"]: r for r in json.load(f)["results"]}
    print(f"{'benchmark':32} {'median':>8} {'min':>8} {'max':>8} {'iters':>6}  (instructions)")
    for r in results:
        line = f"{r['name']:32} {r['median_instr']:8} {r['min_instr']:8} {r['max_instr']:8} {r['iterations']:6}"
        if r["name"] in old:
            before = old[r["name"]]["median_instr"]
            delta = r["median_instr"] - before
            line += f"  was {before}, {delta:+d} ({100.0 * delta / before:+.1f}%)"
        elif r["name"] in REFERENCE:
            line += f"  [{REFERENCE[r['name']]}]"
        print(line)
    print(f"wrote {os.path.relpath(path, os.getcwd())}")


main()
