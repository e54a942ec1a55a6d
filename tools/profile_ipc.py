#!/usr/bin/env python3
"""Where the instructions of one IPC round trip go.

Boots kernel-bench.elf under QEMU with -singlestep and -d exec (one log
line per instruction executed, user and kernel), skips to the N-th time
the kernel enters the given function (by default the 3000th fastpath_call:
inside the ipc_roundtrip_cross_as benchmark), records the instructions from
there to the next entry of that function one round trip later, and prints
them counted by function. Usage: tools/profile_ipc.py [--build DIR]
[--function NAME] [--skip N] [--image kernel-bench.elf]"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile
import threading

FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def symbols(elf):
    out = subprocess.run(["riscv64-linux-gnu-nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = [(int(a, 16), n) for a, t, n in (l.split() for l in out.splitlines() if len(l.split()) == 3)
            if t in "tTwW"]
    return [a for a, _ in syms], [n for _, n in syms]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("K4_BUILD", "build"))
    ap.add_argument("--image", default="kernel-bench.elf")
    ap.add_argument("--user", default="tests/kbench", help="the user program, for its symbols")
    ap.add_argument("--function")
    ap.add_argument("--skip", type=int)
    ap.add_argument("--entries", type=int, help="entries of the function per round trip")
    ap.add_argument("--timeout", type=float, default=100, help="seconds before QEMU is killed")
    args = ap.parse_args()
    kaddr, knames = symbols(os.path.join(args.build, args.image))
    uaddr, unames = symbols(os.path.join(args.build, args.user))
    fast = "fastpath_call" in knames
    if args.function is None:
        args.function = "fastpath_call" if fast else "syscall_handle"
    if args.skip is None:   # into ipc_roundtrip_cross_as: after null_syscall and the same-AS run
        args.skip = 3000 if args.function == "fastpath_call" else 6000
    if args.entries is None:
        args.entries = 1 if args.function == "fastpath_call" else 2
    target = kaddr[knames.index(args.function)]

    def name(pc):
        a, n = (kaddr, knames) if pc >= 1 << 63 else (uaddr, unames)
        i = bisect.bisect_right(a, pc) - 1
        return n[i] if i >= 0 else "?"

    fifo = os.path.join(tempfile.mkdtemp(), "exec.log")
    os.mkfifo(fifo)
    q = subprocess.Popen(["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic", "-icount", "shift=0",
                          "-singlestep", "-d", "exec,nochain", "-D", fifo,
                          "-dfilter", "0x10000..0x100000,0xffffffc080200000..0xffffffc080400000",
                          "-bios", FIRMWARE, "-kernel", os.path.join(args.build, args.image)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # a watchdog: a QEMU that never gets there is killed, which ends the log
    watchdog = threading.Timer(args.timeout, q.kill)
    watchdog.start()
    seen, trace = 0, []
    pat = re.compile(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    with open(fifo) as log:
        for line in log:
            m = pat.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if pc == target:
                seen += 1
            if seen > args.skip + args.entries:
                break
            if seen > args.skip:
                trace.append(pc)
    q.kill()
    q.wait()
    watchdog.cancel()
    if seen <= args.skip + args.entries:
        sys.exit(f"profile: QEMU ended (or ran past {args.timeout} s) after {seen} entries of {args.function}, "
                 f"before entry {args.skip + args.entries + 1}")
    counts = collections.OrderedDict()
    for pc in trace:
        n = name(pc)
        counts[n] = counts.get(n, 0) + 1
    print(f"one round trip from entry {args.skip + 1} of {args.function}: {len(trace)} instructions")
    kernel = sum(1 for pc in trace if pc >= 1 << 63)
    print(f"{kernel:6}  in the kernel, {len(trace) - kernel} in user mode")
    for n, c in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{c:6}  {n}")


main()
