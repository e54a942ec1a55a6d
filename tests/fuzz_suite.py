"""The fuzzers in the test suite: the same seed gives the same syscall run,
200 mutated disk images harm nothing but the file server, and libFuzzer
runs the ext2 code on the host (once a run: it does not depend on the
kernel's configuration), the same run again for the same seed."""
import os
import re

import qemu_run
import run_fuzz

SYSCALL_CHECKS = ["fuzz/syscalls-no-panic", "fuzz/same-seed-same-run"]
IMAGE_CHECKS = ["fuzz/images-no-kernel-panic", "fuzz/images-no-hang", "fuzz/images-only-fs-affected",
                "fuzz/images-give-errors"]
HOST_CHECKS = ["fuzz/host-libfuzzer-ext2", "fuzz/host-libfuzzer-reaches-the-code",
               "fuzz/host-libfuzzer-same-seed-same-run"]
HOST_RUNS, HOST_RERUN = 20000, 3000


def fuzz_suite(res, host=True):
    with res.suite("fuzz-syscalls", SYSCALL_CHECKS) as s:
        a = run_fuzz.syscall_campaign(20000, 99, show=False)
        b = run_fuzz.syscall_campaign(20000, 99, show=False)
        s.report(a["complete"] and a["calls"] == 20000 and a["kernel_panics"] == 0 and a["invariant_failures"] == 0,
                 "fuzz/syscalls-no-panic", f"{a['why']}: {a}")
        same = all(a[k] == b[k] for k in ("calls", "rounds", "errors_by_code", "kernel_panics"))
        s.report(same and a["complete"] and b["complete"] and a["calls"] == 20000 and bool(a["errors_by_code"]),
                 "fuzz/same-seed-same-run",
                 f"{a} vs {b}")
    with res.suite("fuzz-images", IMAGE_CHECKS) as s:
        r = run_fuzz.image_campaign(200, 20261128, jobs=2, show=False)
        s.report(r["kernel_panics"] == 0, "fuzz/images-no-kernel-panic", str(r))
        s.report(r["hangs"] == 0, "fuzz/images-no-hang", f"failing images {r['failing'][:10]}")
        s.report(r["other_task_failures"] == 0, "fuzz/images-only-fs-affected", str(r))
        s.report(r["fs_error_answers"] > 0, "fuzz/images-give-errors", str(r))
        print(f"# 200 mutated images: {r['seconds']} s, fs crashes {r['fs_crashes']}, "
              f"error answers {r['fs_error_answers']}")
    if host:
        with res.suite("fuzz-host", HOST_CHECKS) as s:
            host_fuzz(s)


def host_fuzz(s):
    r = host_run(HOST_RUNS)
    s.report(r.code == 0 and f"Done {HOST_RUNS} runs" in r.out, "fuzz/host-libfuzzer-ext2",
             f"{r.why} {r.out[-800:]}")
    cov = [int(c) for c in re.findall(r"cov: (\d+)", r.out)]
    s.report(bool(cov) and max(cov) > 200, "fuzz/host-libfuzzer-reaches-the-code",
             f"edges covered: {max(cov) if cov else 0}")
    again = host_run(HOST_RERUN)
    first, second = trace(r.out, HOST_RERUN), trace(again.out, HOST_RERUN)
    s.report(again.code == 0 and len(first) > 5 and first == second, "fuzz/host-libfuzzer-same-seed-same-run",
             f"{again.why}; {len(first)} and {len(second)} events, first difference: "
             f"{next((x, y) for x, y in zip(first + [''], second + ['']) if x != y) if first != second else '-'}")


def host_run(runs):
    return qemu_run.run([os.path.join(qemu_run.ROOT, "tests", "run_host_fuzz.sh"), f"-runs={runs}", "-seed=1"],
                        timeout=600, quiet=300, env=dict(os.environ, K4_BUILD=qemu_run.BUILD))


def trace(out, runs):
    """libFuzzer's events (new inputs, reductions) up to run `runs`, without
    what depends on the machine's speed (the figures, and 'pulse' lines,
    printed only once the run is 2 s old)."""
    lines = re.findall(r"^#(\d+)\s+(NEW|REDUCE|INITED)(.*)$", out, re.M)
    return [f"#{n} {kind}" + re.sub(r" (exec/s|rss): \S+", "", rest) for n, kind, rest in lines if int(n) < runs]
