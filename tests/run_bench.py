#!/usr/bin/env python3
"""Run the benchmarks under QEMU with -icount shift=0 (rdinstret then
counts guest instructions exactly): the kernel's (kernel-bench.elf, and
kernel-bench-slowpath.elf for the IPC round trips without the fastpath),
the IPC designs' (xfer_*), and the system's (boot to the shell prompt,
console round trip, file system). Print tables, write
build/bench/results.json and two plots (ipc_roundtrip.png,
ipc_designs.png). With --compare OLD.json, also print the change against
an earlier results file."""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("K4_BUILD", "build"))
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
REFERENCE = {  # measured on this kind of machine and QEMU, from the issues, for scale
    "ipc_roundtrip_cross_as": "seL4 fastpath 538, slowpath 1731",
    "null_syscall": "xv6 getpid 1130",
    "boot_to_prompt_wall": "xv6: 200 ms to its prompt",
    "fs_write_1MiB_4KiB_ops": "xv6 writes 0.49 MB/s",
    "fs_read_1MiB_4KiB_ops": "xv6 reads 3.68 MB/s",
}


def run_guest(image="kernel-bench.elf"):
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic", "-icount", "shift=0",
           "-bios", FIRMWARE, "-kernel", os.path.join(BUILD, image)]
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=600).stdout.decode(errors="replace")
    if "kbench: done" not in out:
        sys.stderr.write(out[-3000:])
        raise SystemExit("benchmark run did not finish")
    return parse(out)


def parse(out):
    """The figures a bench image printed ('BENCH name median min max iterations')."""
    results = []
    for line in out.splitlines():
        m = re.match(r"BENCH (\S+) (\d+) (\d+) (\d+) (\d+)", line)
        if m:
            r = {"name": m.group(1), "median_instr": int(m.group(2)), "min_instr": int(m.group(3)),
                 "max_instr": int(m.group(4)), "iterations": int(m.group(5))}
            d = re.match(r"xfer_([a-z]+)_(\d+)$", r["name"])
            if d:   # an IPC design moving `bytes` a transfer
                r.update(design=d.group(1), bytes=int(d.group(2)), unit="instructions per transfer",
                         per_byte=round(r["median_instr"] / int(d.group(2)), 3))
            results.append(r)
    return results


def as_slowpath(results):
    """The IPC round trips of kernel-bench-slowpath.elf, named *_slowpath."""
    return [dict(r, name=r["name"] + "_slowpath") for r in results if r["name"].startswith("ipc_roundtrip_")]


WORDS = {f"ipc_roundtrip_{w}_words": w for w in (0, 1, 2, 4, 8, 16, 32, 64)}


def plot(results, folder):
    """Round trip against message size (fastpath kernel and not), and
    the IPC designs' cost per transfer and per byte against payload size."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by = {r["name"]: r for r in results}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for suffix, label in (("", "fastpath kernel (-Dfastpath=true)"), ("_slowpath", "general path only")):
        pts = [(w, by[n + suffix]["median_instr"]) for n, w in WORDS.items() if n + suffix in by]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    ax.axhline(538, color="grey", linestyle=":", label="seL4 fastpath, 1 word (538)")
    ax.set_xlabel("message words each way")
    ax.set_ylabel("instructions per round trip (Call + ReplyRecv)")
    ax.set_title("IPC round trip, cross address space, -icount shift=0")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(0, 80)
    ax.set_xticks(list(WORDS.values()))
    ax.set_xticklabels([str(w) for w in WORDS.values()])
    ax.set_ylim(bottom=0)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "ipc_roundtrip.png"), dpi=110)
    designs = sorted({r["design"] for r in results if "design" in r})
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for d in designs:
        pts = sorted((r["bytes"], r["median_instr"]) for r in results if r.get("design") == d)
        a1.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=d)
        a2.plot([p[0] for p in pts], [p[1] / p[0] for p in pts], marker="o", label=d)
    for a, what in ((a1, "instructions per transfer"), (a2, "instructions per byte")):
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("payload bytes")
        a.set_ylabel(what)
        a.grid(True, which="both", alpha=0.3)
        a.legend()
    a1.set_title("IPC designs: client to server, streamed, median of 32 batches")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "ipc_designs.png"), dpi=110)


def print_designs(results):
    designs = sorted({r["design"] for r in results if "design" in r})
    sizes = sorted({r["bytes"] for r in results if "design" in r})
    if not designs:
        return
    by = {(r["design"], r["bytes"]): r for r in results if "design" in r}
    print()
    print("IPC designs: instructions per transfer (per byte)")
    print(f"{'bytes':>8} " + " ".join(f"{d:>18}" for d in designs))
    for n in sizes:
        cells = []
        for d in designs:
            r = by.get((d, n))
            cells.append(f"{r['median_instr']:>9} ({r['per_byte']:>6.2f})" if r else " " * 18)
        print(f"{n:>8} " + " ".join(f"{c:>18}" for c in cells))


def run_system():
    """Boot to the shell prompt (wall time, median of 5; guest instructions
    under -icount) and the console round trip, through the shell."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pexpect
    import system_suite
    walls = []
    for _ in range(5):
        c = system_suite.Console()
        walls.append(c.boot_seconds * 1000)
        c.close()
    walls.sort()
    results = [{"name": "boot_to_prompt_wall", "median_ms": round(walls[2], 1), "min_ms": round(walls[0], 1),
                "max_ms": round(walls[-1], 1), "iterations": 5}]
    disk = system_suite.scratch_disk()
    cmd = system_suite.qemu_cmd(disk=disk) + ["-icount", "shift=0"]
    p = pexpect.spawn(cmd[0], cmd[1:], timeout=60, encoding="utf-8", codec_errors="replace")
    p.expect(system_suite.PROMPT)
    p.send("uptime\r")
    p.expect(r"first prompt after (\d+) instructions")
    boot = int(p.match.group(1))
    results.append({"name": "boot_to_prompt", "median_instr": boot, "min_instr": boot, "max_instr": boot,
                    "iterations": 1})
    p.expect(system_suite.PROMPT)
    p.send("conbench 1000\r")
    p.expect(r"conbench: (\d+) writes, median (\d+) min (\d+) max (\d+) instructions")
    g = [int(x) for x in p.match.groups()]
    results.append({"name": "console_roundtrip", "median_instr": g[1], "min_instr": g[2], "max_instr": g[3],
                    "iterations": g[0]})
    p.expect(system_suite.PROMPT)
    p.send("fsbench 1048576\r")
    for op in ("write", "read"):
        p.expect(r"fsbench: %s (\d+) bytes in 4 KiB operations: (\d+\.\d+) MB/s, (\d+) instructions/KiB" % op)
        per_kib = int(p.match.group(3))
        results.append({"name": f"fs_{op}_1MiB_4KiB_ops", "median_instr": per_kib, "min_instr": per_kib,
                        "max_instr": per_kib, "iterations": 256, "mb_per_s": float(p.match.group(2)),
                        "unit": "instructions per KiB"})
    for op in ("reads", "writes"):
        p.expect(r"fsbench: driver %s (\d+) bytes: (\d+\.\d+) MB/s" % op)
        results.append({"name": f"blk_driver_{op}", "mb_per_s": float(p.match.group(2)),
                        "bytes": int(p.match.group(1)), "iterations": 1})
    p.terminate(force=True)
    os.unlink(disk)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--compare", metavar="OLD.json", help="print the change against an earlier run")
    args = ap.parse_args()
    results = run_guest() + as_slowpath(run_guest("kernel-bench-slowpath.elf")) + run_system()
    folder = os.path.join(BUILD, "bench")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "results.json")
    with open(path, "w") as f:
        json.dump({"results": results}, f, indent=2)
    plot(results, folder)
    old = {}
    if args.compare:
        with open(args.compare) as f:
            old = {r["name"]: r for r in json.load(f)["results"]}
    print_table(results, old)
    print_designs(results)
    print(f"wrote {os.path.relpath(path, os.getcwd())} and the plots ipc_roundtrip.png, ipc_designs.png there")


def print_table(results, old):
    """Every figure but the designs' (unless compared), with the change
    against `old` (name -> result) where it has the figure."""
    print(f"{'benchmark':32} {'median':>8} {'min':>8} {'max':>8} {'iters':>6}  (instructions, or ms)")
    for r in results:
        if "design" in r and r["name"] not in old:
            continue   # in the designs table below
        if "median_instr" not in r and "median_ms" not in r:
            print(f"{r['name']:32} {r['mb_per_s']:8} MB/s guest time over {r['bytes']} bytes")
            continue
        unit = "instr" if "median_instr" in r else "ms"
        line = (f"{r['name']:32} {r['median_' + unit]:8} {r['min_' + unit]:8} {r['max_' + unit]:8} "
                f"{r['iterations']:6}  {unit}")
        if r["name"] in old and "median_" + unit in old[r["name"]]:
            before = old[r["name"]]["median_" + unit]
            delta = r["median_" + unit] - before
            line += f"  was {before}, {delta:+g} ({100.0 * delta / before:+.1f}%)"
        if "mb_per_s" in r:
            line += f"  = {r['mb_per_s']} MB/s guest time, per KiB"
        if r["name"] in REFERENCE and r["name"] not in old:
            line += f"  [{REFERENCE[r['name']]}]"
        print(line)


if __name__ == "__main__":
    main()
