#!/usr/bin/env python3
"""Run every test suite in QEMU and count what the guest reports.

Each suite boots one kernel image. The kernel test task prints a plan
('ktest: plan N'), then 'ok - NAME' or 'not ok - NAME: why' per test, and
'ktest: done' at the end. A kernel panic, a hang (timeout) or a result
that never came counts as a failure. Ends with 'N passed, N failed'."""
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import system_suite  # noqa: E402
import storage_suite  # noqa: E402
import fuzz_suite  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("K4_BUILD", "build"))
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def boot(image, timeout, extra=(), quiet_limit=30):
    """Boot a kernel image; return (exit code, or None if it ran past
    `timeout` s or printed nothing for `quiet_limit` s, and its output)."""
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic",
           "-bios", FIRMWARE, "-kernel", os.path.join(BUILD, image), *extra]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    start = last = time.time()
    while True:
        ready, _, _ = select.select([p.stdout], [], [], 1.0)
        if ready:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            last = time.time()
        now = time.time()
        if now - start > timeout or now - last > quiet_limit:
            p.kill()
            p.wait()
            return None, out.decode(errors="replace")
    return p.wait(), out.decode(errors="replace")


class Results:
    def __init__(self, prefix=""):
        self.passed = 0
        self.failed = 0
        self.prefix = prefix

    def report(self, ok, name, why=""):
        if ok:
            self.passed += 1
            print(f"ok - {self.prefix}{name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {self.prefix}{name}{': ' + why if why else ''}", flush=True)


def kernel_suite(res, image="kernel-test.elf", prefix="kernel"):
    t0 = time.time()
    code, out = boot(image, timeout=300)
    plan = None
    seen = 0
    for line in out.splitlines():
        m = re.match(r"ktest: plan (\d+)", line)
        if m:
            plan = int(m.group(1))
        m = re.match(r"(not ok|ok) - ([^\s:]+)(?:: (.*))?", line)
        if m:
            seen += 1
            res.report(m.group(1) == "ok", f"{prefix}/{m.group(2)}", m.group(3) or "")
    done = "ktest: done" in out
    if "KERNEL PANIC" in out or "kernel trap" in out:
        res.report(False, f"{prefix}/no-panic", "the kernel panicked")
    if code is None:
        res.report(False, f"{prefix}/completes", "timed out")
    elif not done:
        res.report(False, f"{prefix}/completes", f"ended without 'ktest: done' (exit {code})")
    if plan is None:
        res.report(False, f"{prefix}/plan", "no plan printed")
    elif seen < plan:
        for i in range(plan - seen):
            res.report(False, f"{prefix}/missing-{i + 1}", "result never printed")
    if code is None or not done:
        print(out[-3000:])
    print(f"# {prefix}: {time.time() - t0:.1f} s")


def boot_suite(res):
    """The root task (mm) reports what the kernel handed it."""
    code, out = system_suite.piped("poweroff\n")
    res.report(code == 0, "boot/exits-cleanly", f"exit {code}")
    m = re.search(r"mm: (\d+) KiB of RAM in (\d+) untyped regions, (\d+) device regions, (\d+) free slots", out)
    res.report(m is not None and 100000 < int(m.group(1)) < 131072, "boot/untyped-memory-handed-over")
    res.report(m is not None and int(m.group(3)) >= 10, "boot/device-regions-handed-over")
    res.report(m is not None and int(m.group(4)) > 3000, "boot/free-slots")
    if code != 0 or not m:
        print(out[-2000:])


def bench_suite(res):
    """The benchmark images must keep working: they run and report every
    figure (the figures themselves are printed by ./do.sh bench, never
    asserted: they are measurements, not pass/fail)."""
    code, out = boot("kernel-bench.elf", timeout=240, extra=["-icount", "shift=0"])
    names = re.findall(r"^BENCH (\S+) (\d+) \d+ \d+ (\d+)", out, re.M)
    res.report(code == 0 and "kbench: done" in out, "bench/completes", f"exit {code}")
    want = {"null_syscall", "ipc_roundtrip_same_as", "ipc_roundtrip_cross_as", "ipc_roundtrip_0_words",
            "ipc_roundtrip_1_words", "ipc_roundtrip_4_words", "ipc_roundtrip_8_words", "ipc_roundtrip_64_words",
            "ipc_cap_transfer", "notify_signal_wait_cross_as", "context_switch_yield", "map_unmap_4k",
            "fault_roundtrip", "irq_to_user"}
    m = re.search(r"kbench: start; IPC designs:(.*)", out)
    designs = m.group(1).split() if m else []
    res.report(bool(designs), "bench/designs-built", "no IPC design in the bench image")
    want |= {f"xfer_{d}_{1 << n}" for d in designs for n in range(3, 17)}
    got = {n for n, _, _ in names}
    res.report(want <= got, "bench/reports-every-figure", f"missing {sorted(want - got)}")
    res.report(all(int(m) > 0 and int(i) >= 1000 for _, m, i in names), "bench/figures-plausible")
    code, slow_out = boot("kernel-bench-slowpath.elf", timeout=240, extra=["-icount", "shift=0"])
    res.report(code == 0 and re.search(r"^BENCH ipc_roundtrip_cross_as \d+", slow_out, re.M) is not None,
               "bench/slowpath-image-runs", f"exit {code}")
    tables_and_plots(res, out, slow_out)
    profile(res, out)


def profile(res, out):
    """tools/profile_ipc.py still accounts for one cross-AS round trip: its
    count lies within a few instructions of the benchmark's figure."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "profile_ipc.py")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120, env=dict(os.environ, K4_BUILD=BUILD))
    text = p.stdout.decode(errors="replace")
    m = re.search(r"one round trip from entry \d+ of \S+: (\d+) instructions", text)
    b = re.search(r"^BENCH ipc_roundtrip_cross_as (\d+)", out, re.M)
    res.report(p.returncode == 0 and m is not None and b is not None and
               abs(int(m.group(1)) - int(b.group(1))) <= 16, "bench/profile-accounts-for-round-trip", text[-400:])


def tables_and_plots(res, out, slow_out):
    """./do.sh bench's own work on these figures: the plots are drawn, and
    a comparison with itself shows every figure unchanged."""
    import contextlib
    import io
    import tempfile
    import run_bench
    results = run_bench.parse(out) + run_bench.as_slowpath(run_bench.parse(slow_out))
    with tempfile.TemporaryDirectory() as folder:
        run_bench.plot(results, folder)
        pngs = []
        for name in ("ipc_roundtrip.png", "ipc_designs.png"):
            with open(os.path.join(folder, name), "rb") as f:
                pngs.append(f.read(8) == b"\x89PNG\r\n\x1a\n")
    res.report(all(pngs), "bench/plots-drawn")
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        run_bench.print_table(results, {r["name"]: r for r in results})
        run_bench.print_designs(results)
    lines = [l for l in text.getvalue().splitlines() if " instr " in l]
    res.report(len(lines) == len(results) and all("+0 (+0.0%)" in l for l in lines), "bench/compare-table",
               text.getvalue()[-500:])


def other_configuration(res, build, prefix):
    """The whole suite again, on the kernel built in `build` (./do.sh test
    builds it with the IPC fastpath off); its results count here."""
    env = dict(os.environ, K4_BUILD=build, K4_PREFIX=prefix, K4_ONLY_THIS="1")
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    counts = None
    for line in p.stdout:
        m = re.match(r"(\d+) passed, (\d+) failed", line)
        if m:
            counts = int(m.group(1)), int(m.group(2))
        else:
            print(line, end="", flush=True)
    p.wait()
    if counts is None:
        res.report(False, f"{prefix}completes", f"exit {p.returncode}")
    else:
        res.passed += counts[0]
        res.failed += counts[1]


def main():
    res = Results(os.environ.get("K4_PREFIX", ""))
    boot_suite(res)
    kernel_suite(res)
    bench_suite(res)
    system_suite.shell_suite(res)
    system_suite.piped_suite(res)
    storage_suite.storage_suite(res)
    fuzz_suite.fuzz_suite(res)
    if not os.environ.get("K4_ONLY_THIS") and os.path.isdir(os.path.join(ROOT, "build-slowpath")):
        other_configuration(res, "build-slowpath", "slowpath/")
    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


sys.exit(main())
