"""One recovery per fault type on each driver (issue 11). Faults of one type
go into virtio-blk or uart, 64 a round, while the shell uses the driver
(a write, a sync, a read larger than the file server's cache, lines on the
console), until the supervisor detects a failure and restarts the driver.
Then a read of a file never read before (through the new instance: the
file server's count of what the driver read must rise by half of it), a
write with sync and, for uart, a line echoed must give the right bytes, and
at the end every such write is on the disk exactly and e2fsck is clean.

`heap` has nothing to go into: neither driver allocates, so the injector
refuses it ("nothing of that kind") and the driver is not restarted.
Two types may have no effect on uart, which then passes with no failure as
long as all stays right: `stack` (a waiting uart's live stack is main's
frame, whose saved registers are never loaded again) and `reply` (it
answers no one: the faults go into the few messages it sends, and may
leave them as good as before).
Before each type, `restart DRIVER` gives a pristine instance and clears the
failure record, so the types do not add up to the restart policy's limit."""
import os
import re
import tempfile

import pexpect

import qemu_run
import system_suite
from storage_suite import dump, fsck_clean, make_image, pattern, posix_cksum
from supervisor_suite import ps_row

TYPES = ["flip", "nop", "operand", "branch", "nobranch", "pointer", "register", "data", "heap", "stack", "loop",
         "exit", "wild", "reply", "crash"]
DRIVERS = ["virtio-blk", "uart"]
REFUSED = {("virtio-blk", "heap"), ("uart", "heap")}
NO_EFFECT = {("uart", "stack"), ("uart", "reply")}
ROUNDS = 16          # rounds of 64 faults before a type is called undetected
READ_SIZE = 80 << 10   # each type's file for the uncached read
BIG_SIZE = 1 << 20     # read each round: twice the file server's cache (512 KiB)
WRITE_SIZE = 20000
FAILED = re.compile(r"init: task (\S+) (crashed|hung|exited|gave a bad reply)")

HOSTILE_BUILD = qemu_run.BUILD + "-hostile"   # ./do.sh test builds it with -Dhostile_blk=true
REPORT = re.compile(r"init: task virtio-blk gave a bad reply: fs reports (.+)")

BACK = re.compile(r"fs: virtio-blk back after \d+ ms \(\d+ restarts for one request; generation (\d+)\)")



def driver_checks(d):
    return [f"recovery/{d}-{t}" for t in TYPES] + [f"recovery/{d}-disk"]


CHECKS = [c for d in DRIVERS for c in driver_checks(d)]
CHECKS += ["recovery/virtio-blk-generation-named"]
CHECKS += ["recovery/hostile-replies-reported", "recovery/hostile-reads-right", "recovery/hostile-write-right",
           "recovery/hostile-disk-clean"]


def recovery_suite(res):
    with res.suite("recovery", CHECKS) as s:
        for d in DRIVERS:
            one_driver(s, d)
        hostile(s)


def shell_lines(out, line=None):
    """What the shell printed for `line`, without the supervisor's, the
    injector's and the file server's lines (they share the console and may
    come before the echo of the line typed)."""
    return "\n".join(l for l in out.strip().split("\n") if not l.startswith(("init: ", "fs: ", "inject: "))
                     and l != line)


def said(c, line):
    """Type a line; what the shell printed for it."""
    return shell_lines(c.run(line), line)


def write_synced(c, name, seed):
    """Write a file of WRITE_SIZE bytes and sync: what sync said, and the
    file's cksum line after it."""
    c.run(f"write /{name} {WRITE_SIZE} {seed}")
    return said(c, "sync"), said(c, f"cksum /{name}")


def hostile(s):
    """The hostile virtio-blk (drivers/virtio-blk/hostile.c) answers every
    instance's 6th request with a reply the protocol cannot give: words
    where none belong, E_RANGE for a checked range, an error the protocol
    never gives, no error code at all. The file server must report each
    (the driver is restarted) and ask again, so every byte read and written
    is right."""
    files = {f"h{i}.bin": pattern(40 << 10, 300 + i) for i in range(3)}
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "disk.img")
        make_image(image, 1024, 16, files)
        c = system_suite.Console(image, build=HOSTILE_BUILD)
        try:
            reads = [said(c, f"cksum /{n}") for n in files]
            synced, back = write_synced(c, "hw.bin", 77)
        finally:
            c.close()
        log = c.log.getvalue().replace("\r", "")
        reasons = REPORT.findall(log)
        s.report(len(reasons) >= 3 and len(set(reasons)) >= 2 and "task fs" not in log,
                 "recovery/hostile-replies-reported", f"reports {reasons}")
        want = [cksum_line(n, d) for n, d in files.items()]
        s.report(reads == want, "recovery/hostile-reads-right", f"{reads} want {want}")
        wdata = pattern(WRITE_SIZE, 77)
        s.report(synced == "" and back == cksum_line("hw.bin", wdata) and dump(image, "/hw.bin") == wdata,
                 "recovery/hostile-write-right", f"sync {synced!r}, {back!r}")
        clean, report = fsck_clean(image)
        s.report(clean, "recovery/hostile-disk-clean", report[-400:])


def generation(c, driver):
    row = ps_row(c, driver)
    return int(row[2]) if row else -1


def cksum_line(name, data):
    return f"{posix_cksum(data)} {len(data)} /{name}"


def one_driver(s, driver):
    files = {f"r-{t}.bin": pattern(READ_SIZE, 1000 + i) for i, t in enumerate(TYPES)}
    files["big.bin"] = pattern(BIG_SIZE, 7)
    written = {}
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "disk.img")
        make_image(image, 1024, 32, files)
        c = system_suite.Console(image, total=1200)
        try:
            for i, t in enumerate(TYPES):
                try:
                    ok, why = one_type(c, driver, t, i, files, written)
                except pexpect.TIMEOUT:   # the console stopped: what came last says why
                    s.report(False, f"recovery/{driver}-{t}", "no prompt: " + c.log.getvalue()[-1500:])
                    raise
                s.report(ok, f"recovery/{driver}-{t}", why)
            c.run("sync")
            last_gen = generation(c, driver)
        finally:
            c.close()
        if driver == "virtio-blk":   # the file server names the instance that answered it
            gens = [int(g) for g in BACK.findall(c.log.getvalue())]
            s.report(len(gens) >= 3 and gens == sorted(gens) and 1 < gens[0] and gens[-1] <= last_gen,
                     "recovery/virtio-blk-generation-named", f"{gens}, last {last_gen}")
        lost = [n for n, data in written.items() if dump(image, "/" + n) != data]
        clean, report = fsck_clean(image)
        s.report(bool(written) and not lost and clean, f"recovery/{driver}-disk",
                 f"{len(written)} written, lost {lost}; e2fsck: {report[-400:]}")


def use(c, k):
    """Work that goes through both drivers."""
    c.run(f"write /scratch.bin 8192 {k}")
    c.run("sync")
    c.run("cksum /big.bin")
    c.run(f"echo round {k}")


def one_type(c, driver, t, i, files, written):
    c.run(f"restart {driver}")
    gen0 = generation(c, driver)
    start = len(c.log.getvalue())
    refused = False
    for k in range(ROUNDS):
        out = c.run(f"inject {driver} {t} 64 {100 * i + k + 1}")
        if "nothing of that kind" in out:
            refused = True
            break
        use(c, k)
        if generation(c, driver) > gen0:
            break
    seen = c.log.getvalue()[start:]
    failures = FAILED.findall(seen)
    restarted = generation(c, driver) > gen0
    # after it: an uncached read, a write with sync, a line echoed
    name, data = f"r-{t}.bin", files[f"r-{t}.bin"]
    kib = system_suite.driver_read_kib(c)
    read = said(c, f"cksum /{name}")
    kib = system_suite.driver_read_kib(c) - kib   # read-ahead of a neighbour may have brought some of it
    wname, wdata = f"w-{driver}-{t}.bin", pattern(WRITE_SIZE, 5000 + i)
    synced, back = write_synced(c, wname, 5000 + i)
    echo = said(c, f"echo after {t} on {driver}")
    written[wname] = wdata
    others = [f for f in failures if f[0] != driver]
    right = (read == cksum_line(name, data) and kib >= READ_SIZE // 2048 and back == cksum_line(wname, wdata) and synced == "" and
             echo == f"after {t} on {driver}")
    detected = restarted and any(f[0] == driver for f in failures) and not others
    if (driver, t) in REFUSED:
        ok = refused and not restarted and not failures and right
    elif (driver, t) in NO_EFFECT:
        ok = (detected or not failures) and right
    else:
        ok = detected and right
    why = (f"refused {refused}, restarted {restarted} (generation {gen0} -> {generation(c, driver)}), "
           f"failures {failures}, read {read!r} ({kib} KiB through the driver), sync {synced!r}, written {back!r}, echo {echo!r}")
    return ok, why


if __name__ == "__main__":   # one driver's checks alone: python3 tests/recovery_suite.py uart
    import sys
    from checks import Results
    res = Results("")
    driver = sys.argv[1] if len(sys.argv) > 1 else "virtio-blk"
    with res.suite("recovery", driver_checks(driver)) as s:
        one_driver(s, driver)
    res.summary()
    sys.exit(1 if res.failed else 0)
