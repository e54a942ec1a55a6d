#!/usr/bin/env python3
"""Run every test suite in QEMU and count what the guest reports.

Each suite declares its checks (checks.py) and boots its images through
qemu_run.py, which judges every boot by its output and QEMU's exit status
together. The kernel test task prints a plan ('ktest: plan N', then
'ktest: test NAME' for each), then 'ok - NAME' or 'not ok - NAME: why' per
test, and 'ktest: done' at the end. A kernel panic, a hang (timeout), a
result that never came or came twice counts as a failure. Then the whole
run again on K4_BUILD-slowpath (the kernel without the IPC fastpath), and
the kernel and system suites on K4_BUILD-clobber (the clobbering syscall
ABI, -Dclobber_abi=true).
Ends with 'N passed, N failed', whatever happened before."""
import json
import os
import re
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_run  # noqa: E402
from checks import Results  # noqa: E402
import system_suite  # noqa: E402
import storage_suite  # noqa: E402
import fuzz_suite  # noqa: E402
import campaign_suite  # noqa: E402
import faults_suite  # noqa: E402
import supervisor_suite  # noqa: E402
import recovery_suite  # noqa: E402
import journal_suite  # noqa: E402
import trace_suite  # noqa: E402

ROOT, BUILD = qemu_run.ROOT, qemu_run.BUILD
# ./do.sh test builds K4_BUILD (default build/) with the fastpath and
# K4_BUILD-slowpath without it; K4_ONLY_THIS is set for the run on the second.
SLOWPATH_BUILD = BUILD + "-slowpath"
# K4_BUILD-clobber: the clobbering syscall ABI, with the fastpath; the
# suites that exercise the ABI (about a minute), not the campaigns again.
CLOBBER_BUILD = BUILD + "-clobber"
CLOBBER_SUITES = ("boot", "kernel", "shell", "piped", "supervisor", "storage")
ONLY_THIS = bool(os.environ.get("K4_ONLY_THIS"))


def meson_option(build, name):
    """A Meson option's value in a build folder (None: no such folder)."""
    if not os.path.isfile(os.path.join(build, "build.ninja")):
        return None
    p = subprocess.run(["meson", "introspect", build, "--buildoptions"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=60)
    opts = {o["name"]: o["value"] for o in json.loads(p.stdout or b"[]")}
    return opts.get(name)


def configuration_suite(res):
    """Every folder is configured as its name promises."""
    checks = ["config/build-has-fastpath", "config/slowpath-build-has-no-fastpath",
              "config/build-has-todays-abi", "config/clobber-build-has-clobber-abi"]
    with res.suite("config", checks) as s:
        fast = meson_option(BUILD, "fastpath")
        s.report(fast is True, "config/build-has-fastpath", f"{BUILD}: fastpath = {fast}")
        slow = meson_option(SLOWPATH_BUILD, "fastpath")
        s.report(slow is False, "config/slowpath-build-has-no-fastpath",
                 f"{SLOWPATH_BUILD}: " + ("no such build folder" if slow is None else f"fastpath = {slow}"))
        abi = meson_option(BUILD, "clobber_abi")
        s.report(abi is False, "config/build-has-todays-abi", f"{BUILD}: clobber_abi = {abi}")
        abi, fast = meson_option(CLOBBER_BUILD, "clobber_abi"), meson_option(CLOBBER_BUILD, "fastpath")
        s.report(abi is True and fast is True, "config/clobber-build-has-clobber-abi",
                 f"{CLOBBER_BUILD}: " + ("no such build folder" if abi is None else
                                         f"clobber_abi = {abi}, fastpath = {fast}"))


def kernel_results(out):
    """The plan ('ktest: plan N', then N 'ktest: test NAME' lines, if the
    harness prints them) and every result line, in order: [(name, ok, why)]."""
    m = re.search(r"^ktest: plan (\d+)", out, re.M)
    names = re.findall(r"^ktest: test (\S+)", out, re.M)
    results = [(m2.group(2), m2.group(1) == "ok", m2.group(3) or "")
               for m2 in re.finditer(r"^(not ok|ok) - ([^\s:]+)(?:: (.*))?", out, re.M)]
    return (int(m.group(1)) if m else None), names, results


DEBUG_WRITE_MARK = "must-not-print"   # the text of the refused debug write


def kernel_suite(res, image="kernel-test.elf", prefix="kernel"):
    """Every test the harness planned reports exactly once, and passes; the
    boot ends with 'ktest: done' and a clean exit."""
    t0 = time.time()
    with res.suite(prefix, [f"{prefix}/boot", f"{prefix}/plan", f"{prefix}/bad-debug-write-printed-nothing"]) as s:
        r = qemu_run.boot(image, timeout=300, quiet=30, expect="ktest: done")
        plan, names, results = kernel_results(r.out)
        running = re.findall(r"^ktest: run (\S+)", r.out, re.M)
        by_name = {}
        for name, ok, why in results:
            by_name.setdefault(name, []).append((ok, why))
        during = f" (the run ended during {running[-1]})" if running and not r.ok else ""
        if names:   # match results to the names the harness declared
            s.declare([f"{prefix}/{n}" for n in names])
            s.report(plan == len(names) == len(set(names)), f"{prefix}/plan",
                     f"plan {plan}, {len(names)} names declared, {len(set(names))} distinct")
        else:   # an older harness: only the count to go by
            s.declare([f"{prefix}/{n}" for n in dict.fromkeys(n for n, _, _ in results)])
            missing = (plan or 0) - len(by_name)
            for i in range(missing):
                s.declare([f"{prefix}/missing-{i + 1}"])
                s.report(False, f"{prefix}/missing-{i + 1}", "no result line" + during)
            s.report(plan is not None and missing == 0, f"{prefix}/plan",
                     f"plan {plan}, {len(by_name)} distinct tests reported")
        for name in names:
            if name not in by_name:
                s.report(False, f"{prefix}/{name}", "no result line" + during)
        for name, got in by_name.items():
            if f"{prefix}/{name}" not in s.declared:
                s.declare([f"{prefix}/{name}"])
                s.report(False, f"{prefix}/{name}", "not in the plan")
            elif len(got) != 1:
                s.report(False, f"{prefix}/{name}", f"{len(got)} result lines")
            else:
                s.report(got[0][0], f"{prefix}/{name}", got[0][1])
        # t_syscall.c's debug_write_across_into_unmapped_fails_whole: a write
        # running into an unmapped page is refused whole, not after a piece
        s.report("debug_write_across_into_unmapped_fails_whole" in names and DEBUG_WRITE_MARK not in r.out,
                 f"{prefix}/bad-debug-write-printed-nothing", "its text reached the console")
        s.report(r.ok, f"{prefix}/boot", r.why + during)
        if not r.ok:
            print(r.out[-3000:])
    print(f"# {prefix}: {time.time() - t0:.1f} s")


def boot_suite(res):
    """The root task (mm) reports what the kernel handed it."""
    checks = ["boot/exits-cleanly", "boot/untyped-memory-handed-over", "boot/device-regions-handed-over",
              "boot/free-slots"]
    with res.suite("boot", checks) as s:
        r = system_suite.piped("poweroff\n")
        s.report(r.ok, "boot/exits-cleanly", r.why)
        m = re.search(r"mm: (\d+) KiB of RAM in (\d+) untyped regions, (\d+) device regions, (\d+) free slots",
                      r.out)
        s.report(m is not None and 100000 < int(m.group(1)) < 131072, "boot/untyped-memory-handed-over")
        s.report(m is not None and int(m.group(3)) >= 10, "boot/device-regions-handed-over")
        s.report(m is not None and int(m.group(4)) > 3000, "boot/free-slots")
        if not r.ok or not m:
            print(r.out[-2000:])


BENCH_FIGURES = {"null_syscall", "ipc_roundtrip_same_as", "ipc_roundtrip_cross_as", "ipc_roundtrip_0_words",
                 "ipc_roundtrip_1_words", "ipc_roundtrip_4_words", "ipc_roundtrip_8_words", "ipc_roundtrip_64_words",
                 "ipc_cap_transfer", "notify_signal_wait_cross_as", "context_switch_yield", "map_unmap_4k",
                 "fault_roundtrip", "irq_to_user"}
FASTPATH_BENCHES = ("ipc_roundtrip_cross_as", "ipc_roundtrip_same_as")   # one-word round trips


def fastpath_hits(out, name):
    """(hits, iterations) from kbench's 'BENCH_FASTPATH name hits iterations'."""
    m = re.search(r"^BENCH_FASTPATH %s (\d+) (\d+)" % re.escape(name), out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_fastpath(s, check, out, name, taken):
    """`name`'s round trips took the fastpath (Call and ReplyRecv: two hits
    an iteration), or never did."""
    got = fastpath_hits(out, name)
    if got is None:
        s.report(False, check, f"no 'BENCH_FASTPATH {name}' line")
    elif taken:
        s.report(got[0] >= 2 * got[1] > 0, check, f"{got[0]} fastpath hits in {got[1]} round trips, want 2 each")
    else:
        s.report(got[0] == 0, check, f"{got[0]} fastpath hits in {got[1]} round trips, want none")


def bench_suite(res):
    """The benchmark images must keep working: they run and report every
    figure, and the one-word round trips take the path they claim (the
    figures themselves are printed by ./do.sh bench, never asserted: they
    are measurements, not pass/fail)."""
    fast = meson_option(BUILD, "fastpath") is True   # kernel-bench.elf has the fastpath
    checks = ["bench/completes", "bench/designs-built", "bench/reports-every-figure", "bench/slowpath-image-runs"]
    checks += [f"bench/fastpath-{'taken' if fast else 'absent'}-{n}" for n in FASTPATH_BENCHES]
    checks += [f"bench/slowpath-image-no-fastpath-{n}" for n in FASTPATH_BENCHES]
    checks += ["bench/plots-drawn", "bench/compare-table", "bench/profile-accounts-for-round-trip"]
    if not ONLY_THIS:   # the clobbering ABI's images: once a run, from the main build's folder name
        checks += ["bench/clobber-abi-images-run"]
    with res.suite("bench", checks) as s:
        r = qemu_run.boot("kernel-bench.elf", args=["-icount", "shift=0"], timeout=240, quiet=60,
                          expect="kbench: done")
        s.report(r.ok, "bench/completes", r.why)
        m = re.search(r"kbench: start; IPC designs:(.*)", r.out)
        designs = m.group(1).split() if m else []
        s.report(bool(designs), "bench/designs-built", "no IPC design in the bench image")
        want = BENCH_FIGURES | {f"xfer_{d}_{1 << n}" for d in designs for n in range(3, 17)}
        got = set(re.findall(r"^BENCH (\S+) \d+", r.out, re.M))
        s.report(want <= got, "bench/reports-every-figure", f"missing {sorted(want - got)}")
        for n in FASTPATH_BENCHES:
            check_fastpath(s, f"bench/fastpath-{'taken' if fast else 'absent'}-{n}", r.out, n, fast)
        slow = qemu_run.boot("kernel-bench-slowpath.elf", args=["-icount", "shift=0"], timeout=240, quiet=60,
                             expect="kbench: done")
        printed = re.search(r"^BENCH ipc_roundtrip_cross_as \d+", slow.out, re.M) is not None
        s.report(slow.ok and printed, "bench/slowpath-image-runs", slow.why or "no ipc_roundtrip_cross_as figure")
        for n in FASTPATH_BENCHES:
            check_fastpath(s, f"bench/slowpath-image-no-fastpath-{n}", slow.out, n, False)
        tables_and_plots(s, r.out, slow.out)
        profile(s, r.out)
        if not ONLY_THIS:
            clobber_bench(s, want)


def clobber_bench(s, want):
    """./do.sh bench's figures of the clobbering ABI: both its bench images
    (fastpath and general path) run and report, and only the first takes
    the fastpath."""
    why = []
    for image, fast in (("kernel-bench.elf", True), ("kernel-bench-slowpath.elf", False)):
        r = qemu_run.boot(image, args=["-icount", "shift=0"], timeout=240, quiet=60, expect="kbench: done",
                          build=CLOBBER_BUILD)
        got = set(re.findall(r"^BENCH (\S+) \d+", r.out, re.M))
        hits = fastpath_hits(r.out, "ipc_roundtrip_cross_as")
        if not r.ok or not want <= got:
            why.append(f"{image}: {r.why} missing {sorted(want - got)[:3]}")
        elif hits is None or (hits[0] >= 2 * hits[1] > 0) != fast:
            why.append(f"{image}: fastpath hits {hits}, want {'2 a round trip' if fast else 'none'}")
    s.report(not why, "bench/clobber-abi-images-run", "; ".join(why))


def profile(s, out):
    """tools/profile_ipc.py still accounts for one cross-AS round trip: its
    count lies within a few instructions of the benchmark's figure."""
    r = qemu_run.run([sys.executable, os.path.join(ROOT, "tools", "profile_ipc.py")], timeout=180, quiet=120,
                     env=dict(os.environ, K4_BUILD=BUILD))
    m = re.search(r"one round trip from entry \d+ of \S+: (\d+) instructions", r.out)
    b = re.search(r"^BENCH ipc_roundtrip_cross_as (\d+)", out, re.M)
    s.report(r.code == 0 and m is not None and b is not None and abs(int(m.group(1)) - int(b.group(1))) <= 16,
             "bench/profile-accounts-for-round-trip", f"{r.why} {r.out[-400:]}")


def tables_and_plots(s, out, slow_out):
    """./do.sh bench's own work on these figures: the plots are drawn, and
    the comparison with an earlier run prints the change of every figure.
    The earlier run is made up: every third figure 100 more, every third
    one in another unit (not to be compared), the rest absent."""
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
    s.report(all(pngs), "bench/plots-drawn")
    old = {r["name"]: dict(r, median=r["median"] + 100) for r in results[::3]}
    old.update({r["name"]: dict(r, unit="ms") for r in results[1::3]})
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        run_bench.print_table(results, old)
    lines = {l.split()[0]: l for l in text.getvalue().splitlines()[1:] if l.strip()}
    wrong = []
    for i, r in enumerate(results):
        line = lines.get(r["name"])
        if i % 3 == 0:
            before = r["median"] + 100
            want = f"was {before}, -100 ({-10000.0 / before:+.1f}%)"
        elif i % 3 == 1:
            want = f"(was {r['median']} ms: another unit, not compared)"
        else:
            want = None   # nothing to compare with; the designs' figures are left to their own table
        if want:
            ok = line is not None and want in line
        else:
            ok = "was " not in line if line else "design" in r
        if not ok:
            wrong.append(f"{r['name']}: {line.strip() if line else 'not printed'} (want {want or 'no change'})")
    s.report(bool(results) and not wrong, "bench/compare-table", "; ".join(wrong[:3]))


def other_configuration(res, build, prefix, suites=()):
    """The whole suite (or those named in `suites`) again, on the kernel
    built in `build`; its results count here."""
    with res.suite(prefix, [f"{prefix}summary"]) as s:
        if meson_option(build, "fastpath") is None:
            s.report(False, f"{prefix}summary", f"no build folder {build}")
            return
        env = dict(os.environ, K4_BUILD=build, K4_PREFIX=prefix, K4_ONLY_THIS="1")
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), *suites], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        counts = None
        try:
            for line in p.stdout:
                m = re.match(r"(\d+) passed, (\d+) failed$", line)
                if m:
                    counts = int(m.group(1)), int(m.group(2))
                else:
                    print(line, end="", flush=True)
        finally:
            if counts is None:   # it stopped early, or we are stopping
                qemu_run.kill_group(p.pid)
            p.wait()
        s.report(counts is not None, f"{prefix}summary", f"ended without its summary line (exit {p.returncode})")
        if counts:
            res.passed += counts[0]
            res.failed += counts[1]


def main(only=()):
    """Every suite, or those named in `only` (boot kernel bench shell piped
    supervisor storage faults fuzz journal trace recovery campaign config slowpath clobber)."""
    res = Results(os.environ.get("K4_PREFIX", ""))

    def fuzz(res):   # the host fuzzer does not depend on the kernel: once a run
        fuzz_suite.fuzz_suite(res, host=not ONLY_THIS)

    def slowpath(res):
        other_configuration(res, SLOWPATH_BUILD, "slowpath/")

    def clobber(res):
        other_configuration(res, CLOBBER_BUILD, "clobber/", CLOBBER_SUITES)

    suites = {"boot": boot_suite, "kernel": kernel_suite, "bench": bench_suite, "shell": system_suite.shell_suite,
              "piped": system_suite.piped_suite,
              "supervisor": supervisor_suite.supervisor_suite, "storage": storage_suite.storage_suite,
              "faults": faults_suite.faults_suite, "fuzz": fuzz}
    if not ONLY_THIS:   # the campaigns boot their own image: once a run, like the host fuzzer
        suites = {"config": configuration_suite, **suites, "journal": journal_suite.journal_suite,
                  "trace": trace_suite.trace_suite,
                  "recovery": recovery_suite.recovery_suite,
                  "campaign": campaign_suite.campaign_suite,
                  "slowpath": slowpath, "clobber": clobber}
    try:
        for name, suite in suites.items():
            if only and name not in only:
                continue
            try:   # each suite counts its own checks; this is for a suite that breaks before declaring them
                suite(res)
            except Exception as e:
                traceback.print_exc()
                res.report(False, f"{name}/runs", f"{type(e).__name__}: {e}")
    finally:
        code = res.summary()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
