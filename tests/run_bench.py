#!/usr/bin/env python3
"""Run the benchmarks and name every figure for what it measures.

Under QEMU -icount shift=0 (rdinstret counts guest instructions exactly):
the kernel's (kernel-bench.elf, and kernel-bench-slowpath.elf for the IPC
round trips without the fastpath), the IPC designs' (xfer_*), and the
system's (boot to the shell prompt, console round trip, the file system in
instructions per KiB). Under plain TCG (no -icount, where rdtime is the
host's clock): boot to the prompt (host wall clock) and the file system in
MB/s (guest rdtime), medians of --runs boots. Print the tables, write
build/bench/results.json and two plots (ipc_roundtrip.png,
ipc_designs.png). With --compare OLD.json, also print the change against
an earlier results file (of this layout or the one before it).

Every figure in results.json: name, unit ("instr", "instr/KiB", "ms",
"MB/s", "ns"), median, min, max, iterations (how many values the median
is of), and `how`: the conditions and what one value is."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("K4_BUILD", "build"))
CLOBBER_BUILD = BUILD + "-clobber"   # -Dclobber_abi=true: its figures are named *_clobber_abi
ICOUNT = "-icount shift=0"
TCG = "plain TCG"
REFERENCE = {  # measured on this kind of machine and QEMU, from the issues, for scale
    "ipc_roundtrip_cross_as": "seL4 fastpath 538, slowpath 1731",
    "null_syscall": "xv6 getpid 1130",
    "boot_to_prompt_wall": "xv6: 200 ms to its prompt",
    "fs_write_1MiB_4KiB_ops_wall": "xv6 writes 0.49 MB/s",
    "fs_read_1MiB_4KiB_ops_wall": "xv6 reads 3.68 MB/s",
}


def figure(name, unit, values, how, **more):
    """A figure: the median of `values` (one value: itself), in `unit`."""
    values = sorted(values)
    return dict(name=name, unit=unit, median=statistics.median_low(values), min=values[0], max=values[-1],
                iterations=len(values), how=how, **more)


def run_guest(image="kernel-bench.elf", build=BUILD):
    """One bench image's figures, booted through qemu_run (own process
    group, watchdog, verdict from panic text and exit status)."""
    r = qemu_run.boot(image, args=["-icount", "shift=0"], timeout=600, quiet=120, expect="kbench: done", build=build)
    failed = re.search(r"^BENCH-FAILED .*", r.out, re.M)
    if failed or not r.ok:
        sys.stderr.write(r.out[-3000:])
        raise SystemExit(f"{image}: " + (failed.group(0) if failed else r.why))
    return parse(r.out)


def parse(out):
    """The figures a bench image printed: 'BENCH name median min max
    iterations [batch]' (with a batch, a value is the mean over a batch of
    that many operations) and 'BENCH_FASTPATH name hits iterations'."""
    results, by = [], {}
    for line in out.splitlines():
        m = re.match(r"BENCH (\S+) (\d+) (\d+) (\d+) (\d+)(?: (\d+))?$", line)
        if m:
            med, lo, hi, n = (int(x) for x in m.group(2, 3, 4, 5))
            batch = int(m.group(6)) if m.group(6) else 0
            how = (f"{ICOUNT}, median of {n // batch} batches of {batch} (a value: the mean per operation)"
                   if batch else f"{ICOUNT}, median of {n} runs after a warm-up")
            r = dict(name=m.group(1), unit="instr", median=med, min=lo, max=hi, iterations=n // batch if batch else n,
                     how=how)
            if batch:
                r.update(operations=n, batch=batch)
            d = re.match(r"xfer_([a-z]+)_(\d+)$", r["name"])
            if d:   # an IPC design moving `bytes` a transfer
                r.update(design=d.group(1), bytes=int(d.group(2)), per="transfer",
                         per_byte=round(med / int(d.group(2)), 3))
            results.append(r)
            by[r["name"]] = r
        m = re.match(r"BENCH_FASTPATH (\S+) (\d+) (\d+)$", line)
        if m and m.group(1) in by:   # IPCs the fastpath completed in the timed runs
            by[m.group(1)].update(fastpath_hits=int(m.group(2)),
                                  fastpath_per_iteration=round(int(m.group(2)) / int(m.group(3)), 3))
    return results


def as_slowpath(results):
    """The IPC round trips of kernel-bench-slowpath.elf, named *_slowpath."""
    return [dict(r, name=r["name"] + "_slowpath") for r in results if r["name"].startswith("ipc_roundtrip_")]


def as_clobber_abi(results):
    """Figures measured on the build with the clobbering ABI, named so."""
    out = [dict(r, name=r["name"] + "_clobber_abi", how=r["how"] + "; clobbering ABI (-Dclobber_abi=true)")
           for r in results]
    for r in out:   # a design's column of its own, beside today's
        if "design" in r:
            r["design"] += "_clobber_abi"
    return out


def run_builds(runs):
    """Every figure of today's ABI, then the clobbering ABI's beside them
    (its system figures under -icount only: the ABI changes instructions,
    and plain TCG's clock would only add noise)."""
    today = run_guest() + as_slowpath(run_guest("kernel-bench-slowpath.elf")) + run_system(runs)
    if not os.path.isfile(os.path.join(CLOBBER_BUILD, "kernel-bench.elf")):
        raise SystemExit(f"no {CLOBBER_BUILD}: ./do.sh bench builds it with -Dclobber_abi=true")
    clobber = (run_guest(build=CLOBBER_BUILD) + as_slowpath(run_guest("kernel-bench-slowpath.elf", CLOBBER_BUILD))
               + run_system(runs, conditions=(True,), build=CLOBBER_BUILD))
    return today + as_clobber_abi(clobber)


WORDS = {f"ipc_roundtrip_{w}_words": w for w in (0, 1, 2, 4, 8, 16, 32, 64)}


def plot(results, folder):
    """Round trip against message size (fastpath kernel and not), and
    the IPC designs' cost per transfer and per byte against payload size."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    by = {r["name"]: r for r in results}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for suffix, label in (("", "fastpath kernel (-Dfastpath=true)"), ("_slowpath", "general path only"),
                          ("_clobber_abi", "fastpath kernel, clobbering ABI"),
                          ("_slowpath_clobber_abi", "general path only, clobbering ABI")):
        pts = [(w, by[n + suffix]["median"]) for n, w in WORDS.items() if n + suffix in by]
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
        pts = sorted((r["bytes"], r["median"]) for r in results if r.get("design") == d)
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
            cells.append(f"{r['median']:>9} ({r['per_byte']:>6.2f})" if r else " " * 18)
        print(f"{n:>8} " + " ".join(f"{c:>18}" for c in cells))


def boot(icount, disk, build=BUILD):
    """The system at its first prompt, QEMU under -icount or plain TCG;
    the pexpect child and the host's seconds from starting QEMU."""
    import pexpect
    import system_suite
    cmd = system_suite.qemu_cmd(disk=disk, build=build) + (["-icount", "shift=0"] if icount else [])
    t0 = time.time()
    p = pexpect.spawn(cmd[0], cmd[1:], timeout=120, encoding="utf-8", codec_errors="replace")
    p.expect(system_suite.PROMPT)
    return p, time.time() - t0


def shell(p, line):
    """Type a line at the shell; what it printed before the next prompt."""
    import system_suite
    p.send(line + "\r")
    p.expect(system_suite.PROMPT)
    return p.before.replace("\r", "")


def fsbench(p, icount, journal=False):
    """One `fsbench 1048576`: {figure name: value}, in instructions per
    KiB under -icount (at most: rdinstret is QEMU's virtual clock there,
    which also counts the hart's sleep while it waits for the disk), MB/s
    by the guest's rdtime under plain TCG (where it is the host's clock:
    checked against the host's own timing)."""
    t0 = time.time()
    out = shell(p, "fsbench 1048576")
    host_ms = (time.time() - t0) * 1000
    if "no figures" in out or "usage" in out:
        raise SystemExit("fsbench failed: " + out)
    got, guest_ms = {}, 0.0
    for op in ("write", "read"):
        m = re.search(r"fsbench: %s 1048576 bytes in 4 KiB operations: (?:at most (\d+) instructions/KiB, )?"
                      r"(\d+\.\d+) ms(?:, (\d+\.\d+) MB/s)?" % op, out)
        if not m or bool(m.group(1)) != icount or bool(m.group(3)) == icount:
            raise SystemExit(f"fsbench under {ICOUNT if icount else TCG} named the wrong figures: " + out)
        got[f"fs_{op}_1MiB_4KiB_ops" + ("" if icount else "_wall")] = int(m.group(1)) if icount else float(m.group(3))
        guest_ms += float(m.group(2))
    for op in ("reads", "writes"):
        m = re.search(r"fsbench: driver %s (\d+) bytes in (\d+\.\d+) ms(?:, (\d+\.\d+) MB/s)?" % op, out)
        if not m:
            raise SystemExit("fsbench printed no driver figures: " + out)
        if not icount:
            got[f"blk_driver_{op}_wall"] = float(m.group(3))
    m = re.search(r"fsbench: driver flushes (\d+) in (\d+\.\d+) ms", out)
    if not m or (m.group(1) != "1" and not journal):   # a journal commit flushes three times
        raise SystemExit("fsbench printed no flush, or more than the one its sync makes: " + out)
    if not icount:
        got["blk_flush_wall"] = float(m.group(2))
    if not icount and guest_ms > host_ms * 1.05 + 5:
        raise SystemExit(f"fsbench's rdtime ({guest_ms:.1f} ms) ran ahead of the host's clock ({host_ms:.1f} ms)")
    return got


def run_system(runs, conditions=(True, False), build=BUILD):
    """Boot to the shell prompt, the console round trip and the file
    system, each booted `runs` times under -icount and (if in
    `conditions`) under plain TCG."""
    values = {}
    console = {}
    for icount in conditions:
        for i in range(runs):
            boot_and_measure(icount, i == 0, values, console, build)
    results = icount_figures(runs, values, console[True])
    if False in conditions:
        results += tcg_figures(runs, values, console[False])
    return results


def boot_and_measure(icount, first, values, console, build):
    """One boot: its figures added to `values` (name -> list), the console
    round trip's (on the first boot) to `console`."""
    import system_suite
    disk = settled(system_suite.scratch_disk())
    p, seconds = boot(icount, disk, build)
    try:
        up = shell(p, "uptime")
        m = re.search(r"first prompt after at most (\d+) instructions", up)
        if bool(m) != icount:
            raise SystemExit(f"uptime under {ICOUNT if icount else TCG} named the wrong figure: {up}")
        if icount:
            values.setdefault("boot_to_prompt", []).append(int(m.group(1)))
        else:
            values.setdefault("boot_to_prompt_wall", []).append(round(seconds * 1000, 1))
        if first:
            out = shell(p, "conbench 1000")
            m = re.search(r"conbench: (\d+) writes, median (\d+) min (\d+) max (\d+) (instructions|ns) ", out)
            if not m or (m.group(5) == "instructions") != icount:
                raise SystemExit("conbench named the wrong figure: " + out)
            console[icount] = [int(x) for x in m.group(1, 2, 3, 4)]
        for name, v in fsbench(p, icount).items():
            values.setdefault(name, []).append(v)
    finally:
        qemu_run.kill_group(p.pid)
        p.close(force=True)
        os.unlink(disk)
    journal_figures(icount, values, build)


def settled(path):
    """The image on the host's disk before the boot: else the first flush
    in the guest pays for the host writing out the whole fresh copy (49 ms
    for the 32 MiB disk here), and which image was copied how decides the
    write figures."""
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return path


REPLAY_BLOCKS = 256


def journal_disk(logged=0):
    """The build's disk made again as ext3 (from disk/, 4 KiB blocks, 32
    MiB), with a log of `logged` blocks debugfs wrote for a replay to
    measure (free blocks near the disk's end: nothing a file holds)."""
    import storage_suite
    fd, path = tempfile.mkstemp(suffix=".img")
    os.close(fd)
    subprocess.run([storage_suite.MKE2FS, "-q", "-F", "-t", "ext3", "-b", "4096", "-d", os.path.join(ROOT, "disk"),
                    path, "32M"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if logged:
        with tempfile.NamedTemporaryFile() as blocks:
            blocks.write(bytes(range(256)) * 16 * logged)
            blocks.flush()
            homes = ",".join(str(8192 - 300 + i) for i in range(logged))
            subprocess.run([storage_suite.DEBUGFS, "-w", "-f", "-", path], input=f"jo\njw -b {homes} {blocks.name}\njc\n",
                           text=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def journal_figures(icount, values, build):
    """fsbench on an ext3 disk (figures named *_ext3), and under plain
    TCG the mount that replays a log of REPLAY_BLOCKS blocks."""
    for logged in (0,) if icount else (0, REPLAY_BLOCKS):
        disk = settled(journal_disk(logged))
        p, _ = boot(icount, disk, build)
        try:
            if logged:   # the mount may end after the first prompt: ls waits for it
                out = p.before + shell(p, "ls /")
                m = re.search(r"fs: journal replayed: 1 transaction, (\d+) blocks; the mount took (\d+\.\d+) ms", out)
                if not m or int(m.group(1)) != logged:
                    raise SystemExit("the journal's replay was not reported: " + out[-2000:])
                values.setdefault("journal_replay_256_blocks_wall", []).append(float(m.group(2)))
                continue
            for name, v in fsbench(p, icount, journal=True).items():
                values.setdefault(name + "_ext3", []).append(v)
        finally:
            qemu_run.kill_group(p.pid)
            p.close(force=True)
            os.unlink(disk)


ONE_MIB = "one value: the aggregate over 1 MiB in 256 operations of 4 KiB"


def icount_figures(runs, values, console):
    boots = f"median of {runs} boots"
    at_most = "an upper bound: -icount's rdinstret counts the hart's sleep too, 1 ns an instruction"
    n, med, lo, hi = console
    return [
        figure("boot_to_prompt", "instr", values["boot_to_prompt"],
               f"{ICOUNT}, {boots}: from reset to the first prompt, {at_most}", bound="upper"),
        dict(name="console_roundtrip", unit="instr", median=med, min=lo, max=hi, iterations=n,
             how=f"{ICOUNT}, median of {n} one-byte writes (nothing in one sleeps)"),
        figure("fs_write_1MiB_4KiB_ops", "instr/KiB", values["fs_write_1MiB_4KiB_ops"],
               f"{ICOUNT}, {boots}; {ONE_MIB} and a sync; {at_most}", bound="upper"),
        figure("fs_read_1MiB_4KiB_ops", "instr/KiB", values["fs_read_1MiB_4KiB_ops"],
               f"{ICOUNT}, {boots}; {ONE_MIB}; {at_most}", bound="upper"),
        figure("fs_write_1MiB_4KiB_ops_ext3", "instr/KiB", values["fs_write_1MiB_4KiB_ops_ext3"],
               f"{ICOUNT}, {boots}; on ext3 (the journal: metadata logged, 3 flushes a commit); {ONE_MIB} and a "
               f"sync; {at_most}", bound="upper"),
        figure("fs_read_1MiB_4KiB_ops_ext3", "instr/KiB", values["fs_read_1MiB_4KiB_ops_ext3"],
               f"{ICOUNT}, {boots}; on ext3; {ONE_MIB}; {at_most}", bound="upper"),
    ]


def tcg_figures(runs, values, console):
    boots = f"median of {runs} boots"
    results = [figure("boot_to_prompt_wall", "ms", values["boot_to_prompt_wall"],
                      f"{TCG}, {boots}: host wall clock from starting QEMU to the first prompt (with a disk)")]
    n, med, lo, hi = console
    results.append(dict(name="console_roundtrip_wall", unit="ns", median=med, min=lo, max=hi, iterations=n,
                        how=f"{TCG}, median of {n} one-byte writes, guest rdtime (the host's clock)"))
    for name in ("fs_write_1MiB_4KiB_ops_wall", "fs_read_1MiB_4KiB_ops_wall", "fs_write_1MiB_4KiB_ops_wall_ext3",
                 "fs_read_1MiB_4KiB_ops_wall_ext3"):
        results.append(figure(name, "MB/s", values[name], f"{TCG}, {boots}, guest rdtime (the host's clock); "
                              f"{ONE_MIB}" + (" and a sync" if "write" in name else "")))
    for name in ("blk_driver_reads_wall", "blk_driver_writes_wall"):
        results.append(figure(name, "MB/s", values[name], f"{TCG}, {boots}, guest rdtime; one value: the file "
                              "server's block requests during one fsbench, timed around each call to the driver"))
    results.append(figure("journal_replay_256_blocks_wall", "ms", values["journal_replay_256_blocks_wall"],
                          f"{TCG}, {boots}, guest rdtime: the mount of an ext3 disk whose log holds one "
                          f"transaction of {REPLAY_BLOCKS} blocks (debugfs wrote it), replay included"))
    results.append(figure("blk_flush_wall", "ms", values["blk_flush_wall"], f"{TCG}, {boots}, guest rdtime; one "
                          "value: the one flush of fsbench's sync (part of the write's time): the host syncing the image"))
    return results


def print_abis(results):
    """Each figure measured under both ABIs, side by side."""
    by = {r["name"]: r for r in results}
    pairs = [(r, by[r["name"] + "_clobber_abi"]) for r in results
             if r["name"] + "_clobber_abi" in by and "design" not in r]
    if not pairs:
        return
    print()
    print("The syscall ABI: today's against the clobbering one (-Dclobber_abi=true), medians")
    print(f"{'benchmark':32} {'today':>9} {'clobber':>9} {'change':>16}  unit")
    for a, b in pairs:
        delta = b["median"] - a["median"]
        change = f"{num(delta, '+')} ({100.0 * delta / a['median']:+.1f}%)" if a["median"] else ""
        print(f"{a['name']:32} {num(a['median']):>9} {num(b['median']):>9} {change:>16}  {a['unit']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", metavar="OLD.json", help="print the change against an earlier run")
    ap.add_argument("--runs", type=int, default=5, help="boots of the system per condition (default 5)")
    args = ap.parse_args()
    results = run_builds(args.runs)
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
    print_abis(results)
    print_designs(results)
    print(f"wrote {os.path.relpath(path, os.getcwd())} and the plots ipc_roundtrip.png, ipc_designs.png there")


OLD_UNITS = {"instructions per KiB": "instr/KiB", "instructions per transfer": "instr"}


def value(r):
    """(median, unit) of a figure, from this results.json layout or the
    one before it (median_instr / median_ms / mb_per_s)."""
    if "median" in r:
        return r["median"], r["unit"]
    if "median_instr" in r:
        return r["median_instr"], OLD_UNITS.get(r.get("unit"), "instr")
    if "median_ms" in r:
        return r["median_ms"], "ms"
    return r.get("mb_per_s"), "MB/s guest time"


def num(v, sign=""):
    """A figure as printed: whole numbers whole, others to two places."""
    return format(v, sign) if isinstance(v, int) else format(round(v, 2), sign + "g")


def print_table(results, old):
    """Every figure but the designs' (unless compared), with its unit and
    how it was measured, and the change against `old` (name -> result)
    where that has the figure in the same unit."""
    print(f"{'benchmark':32} {'median':>9} {'min':>9} {'max':>9} {'n':>5}  {'unit':9}  how")
    for r in results:
        if "design" in r and r["name"] not in old:
            continue   # in the designs table below
        line = (f"{r['name']:32} {num(r['median']):>9} {num(r['min']):>9} {num(r['max']):>9} {r['iterations']:>5}  "
                f"{r['unit']:9}  {r['how']}")
        if "fastpath_hits" in r:
            line += f"; fastpath {r['fastpath_per_iteration']:g} a run"
        if r["name"] in old:
            before, unit = value(old[r["name"]])
            if unit == r["unit"] and before:
                delta = r["median"] - before
                line += f"  was {num(before)}, {num(delta, '+')} ({100.0 * delta / before:+.1f}%)"
            else:
                line += f"  (was {num(before)} {unit}: another unit, not compared)"
        if r["name"] in REFERENCE and r["name"] not in old:
            line += f"  [{REFERENCE[r['name']]}]"
        print(line)


if __name__ == "__main__":
    main()
