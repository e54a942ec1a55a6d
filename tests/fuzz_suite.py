"""The fuzzers in the test suite: the same seed gives the same syscall run,
and 200 mutated disk images harm nothing but the file server."""
import os
import re
import subprocess

import run_fuzz


def fuzz_suite(res):
    a = run_fuzz.syscall_campaign(20000, 99, show=False)
    b = run_fuzz.syscall_campaign(20000, 99, show=False)
    res.report(a["calls"] == 20000 and a["kernel_panics"] == 0 and a["invariant_failures"] == 0,
               "fuzz/syscalls-no-panic", str(a))
    res.report(a["errors_by_code"] == b["errors_by_code"] and a["rounds"] == b["rounds"],
               "fuzz/same-seed-same-run", f"{a['errors_by_code']} vs {b['errors_by_code']}")
    r = run_fuzz.image_campaign(200, 20261128, jobs=2, show=False)
    res.report(r["kernel_panics"] == 0, "fuzz/images-no-kernel-panic", str(r))
    res.report(r["hangs"] == 0, "fuzz/images-no-hang", f"failing images {r['failing'][:10]}")
    res.report(r["other_task_failures"] == 0, "fuzz/images-only-fs-affected", str(r))
    res.report(r["fs_error_answers"] > 0, "fuzz/images-give-errors", str(r))
    print(f"# 200 mutated images: {r['seconds']} s, fs crashes {r['fs_crashes']}, "
          f"error answers {r['fs_error_answers']}")
    p = subprocess.run([os.path.join(run_fuzz.system_suite.ROOT, "tests", "run_host_fuzz.sh"), "-runs=20000",
                        "-seed=1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode(errors="replace")
    res.report(p.returncode == 0 and "Done 20000 runs" in out, "fuzz/host-libfuzzer-ext2", out[-800:])
    cov = [int(c) for c in re.findall(r"cov: (\d+)", out)]
    res.report(bool(cov) and max(cov) > 200, "fuzz/host-libfuzzer-reaches-the-code",
               f"edges covered: {max(cov) if cov else 0}")
