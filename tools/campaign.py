#!/usr/bin/env python3
"""A fault-injection campaign (./do.sh campaign; docs/campaigns.md).

    campaign.py --target virtio-blk|uart|fs --faults N --seed S [--types LIST]
                [--jobs J] [--fs ext2|ext3] [--json FILE] [--plot FILE] [--window MS] [--settle MS]
                [--budget MS] [--keep-logs DIR] [--trace-failures DIR] [--fsck-restarts] [--quiet]

Boots the campaign system (campaign.conf, built in K4_BUILD) with the
storage workload running; the guest task `campaign` injects the faults one
after another (tests/programs/campaign). The host only sets up each boot
(the orders in /campaign.cfg on a fresh disk), reads the console, and
checks the disk when QEMU has ended: every acknowledged write with debugfs,
the host's reference file, and e2fsck -fn. A boot ends when every fault of
its range is in, when the target is left dead, or when the kernel panics or
the system stops printing; the faults left go to a new boot. --jobs J runs
J QEMU instances on disjoint ranges of fault numbers; fault i's type and
seed depend only on (S, i), so the same seed gives the same faults.

The lines read, and the part of the system that prints them:
  campaign: ...                   tests/programs/campaign (here)
  workload: ...                   tests/programs/workload (here)
  init: task NAME crashed|exited  the supervisor (main today)
  init: restarting NAME: done     the supervisor; "(generation G, N ms after
                                  the failure)" only with the sup part
  init: task NAME hung ...        the supervisor, sup part (hang detection)
  init: NAME is down ...          the supervisor, sup part (restart policy)
  inject: activated TYPE in NAME  the injector, inj part (activation)
  fs: virtio-blk back after N ms  the file server, blk part (recovery time)
A line that never comes leaves its figure at 0 (or its source unused); the
table says which figures had no source in this run."""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import qemu_run  # noqa: E402
from storage_suite import E2FSCK, MKE2FS, dump, fsck_clean, pattern  # noqa: E402  (the workload's bytes from a seed)

DEBUGFS = shutil.which("debugfs") or "/usr/sbin/debugfs"
FAULT_TYPES = ["flip", "nop", "operand", "branch", "nobranch", "pointer", "register", "data", "heap", "stack",
               "loop", "exit", "wild", "reply", "crash"]   # include/proto/faultinj.h, FAULT_TYPE_NAMES
TARGETS = ("virtio-blk", "uart", "fs")
REF_PATH, REF_SIZE, REF_SEED = "/campaign.ref", 768 << 10, 12345   # tests/programs/workload
COUNTS = ["faults", "activated", "no_effect", "crashes_detected", "hangs_detected", "restarts", "client_errors",
          "silent_corruptions", "writes_lost", "kernel_panics", "other_task_failures"]
BOOT_SECONDS = 600   # one boot's limit; a boot silent for QUIET_SECONDS is stopped
BUDGET_MS = 480000   # default --budget: well inside BOOT_SECONDS
QUIET_SECONDS = 30
BAD_FS_ERRORS = 100   # errors in a row, no write acknowledged: the disk is bad, the boot ends


# --- one boot -------------------------------------------------------------

def prepare_disk(build, folder, orders, kind="ext2"):
    """A fresh copy of the build's disk (made again from disk/ as ext3, with
    a journal, if asked) with the orders and the reference file."""
    disk = os.path.join(folder, "disk.img")
    if kind == "ext3":
        subprocess.run([MKE2FS, "-q", "-F", "-t", "ext3", "-b", "4096", "-d", os.path.join(ROOT, "disk"), disk, "32M"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        shutil.copy(os.path.join(build, "disk.img"), disk)
    for name, data in (("campaign.cfg", orders.encode()), ("campaign.ref", pattern(REF_SIZE, REF_SEED))):
        src = os.path.join(folder, name)
        with open(src, "wb") as f:
            f.write(data)
        subprocess.run([DEBUGFS, "-w", "-R", f"write {src} {name}", disk], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
    return disk


class Qmp:
    """QEMU's machine protocol on a unix socket: to stop the machine for a
    moment while the host copies its disk."""

    def __init__(self, path):
        self.path, self.f = path, None

    def command(self, name):
        import socket
        if self.f is None:
            s = socket.socket(socket.AF_UNIX)
            for _ in range(100):
                try:
                    s.connect(self.path)
                    break
                except OSError:
                    time.sleep(0.05)
            self.f = s.makefile("rw")
            self.f.readline()   # the greeting
            self.command("qmp_capabilities")
        self.f.write(json.dumps({"execute": name}) + "\n")
        self.f.flush()
        while "return" not in json.loads(self.f.readline() or '{"return": 0}'):
            pass   # events in between


def check_restart(qmp, disk, kind):
    """The disk as a restart found it, copied with the machine stopped:
    after e2fsprogs replays the journal, is e2fsck clean? (clean, report)"""
    copy = disk + ".restart"
    qmp.command("stop")
    try:
        shutil.copy(disk, copy)
    finally:
        qmp.command("cont")
    if kind == "ext3":
        subprocess.run([E2FSCK, "-E", "journal_only", "-y", copy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return fsck_clean(copy)


def run_qemu(build, disk, on_line, qmp=None):
    """Runs the campaign image on `disk`, calling on_line(line) for each
    line as it comes (a line for which it returns why ends the boot);
    returns the qemu_run.Result of the boot. With qmp (a socket path),
    QEMU answers QMP there."""
    pending = [b""]

    def lines(chunk):
        *done, pending[0] = (pending[0] + chunk).split(b"\n")
        for line in done:
            why = on_line(line.decode(errors="replace").rstrip("\r"))
            if why:
                return why
        return None
    extra = ["-qmp", f"unix:{qmp},server=on,wait=off"] if qmp else []
    return qemu_run.run(qemu_run.qemu_cmd("kernel-run.elf", disk=disk, build=build, args=extra), timeout=BOOT_SECONDS,
                        quiet=QUIET_SECONDS, expect=qemu_run.POWER_OFF, on_output=lines)


# --- reading a boot's console ----------------------------------------------

LINES = [(name, re.compile(rx)) for name, rx in [
    ("inject", r"^campaign: inject (\d+) (\S+) seed (\d+)"),
    ("not_injected", r"^campaign: fault (\d+) (\S+) not injected: (.*)"),
    ("injected", r"^campaign: fault (\d+) (\S+) injected"),
    ("outcome", r"^campaign: fault (\d+) outcome (\S+) after (\d+) ms"),
    ("end", r"^campaign: end after fault (\d+) of \d+\.\.\d+, (.*), \d+ ms"),
    ("final_sync", r"^campaign: final sync: (.*)"),
    ("no_campaign", r"^campaign: no campaign: (.*)"),
    ("crashed", r"^init: task (\S+) crashed"),
    ("hung", r"^init: task (\S+) hung"),
    ("exited", r"^init: task (\S+) exited"),
    ("restarted", r"^init: restarting (\S+): done(?: \(generation (\d+), (\d+) ms after the failure\))?"),
    ("down", r"^init: (\S+) is down"),
    ("activated", r"^inject: activated (\S+) in (\S+)"),
    ("back", r"^fs: (\S+) back after (\d+) ms"),
    ("client_error", r"^workload: error "),
    ("wrong_bytes", r"^workload: wrong bytes in (\S+) at (\d+)"),
    ("write", r"^workload: write (\d+) (\d+) (\d+) (\d+)"),
    ("synced", r"^workload: synced (\d+) (\d+)"),
]]


MASK64 = (1 << 64) - 1


def lcg(x):
    """The workload's generator step (and the byte pattern's: storage_suite)."""
    return (x * 6364136223846793005 + 1442695040888963407) & MASK64


def splitmix(x):
    """(next state, value): splitmix64, as tests/programs/campaign has it."""
    x = (x + 0x9e3779b97f4a7c15) & MASK64
    z = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK64
    return x, z ^ (z >> 31)


def planned_fault(seed, types, i):
    """Fault i's (type, seed): from the campaign seed and i alone, as the
    guest picks them (its fault_of)."""
    x = seed ^ ((i * 0xd1342543de82ef95) & MASK64)
    x, v = splitmix(x)
    x, s = splitmix(x)
    return types[v % len(types)], s


def new_fault(index, kind, seed):
    return {"index": index, "type": kind, "seed": seed, "injected": False, "not_injected": [],
            "activated": False, "crashes_detected": 0, "hangs_detected": 0, "restarts": 0, "left_dead": 0,
            "client_errors": 0, "silent_corruptions": 0, "other_task_failures": 0, "outcome": None,
            "recovery_ms": None, "recovery_source": None, "guest_watch_ms": None}


class Boot:
    """What one boot's console said, line by line: a record per fault
    (the lines between its 'campaign: inject' and the next), and the
    workload's writes, for the disk check."""

    def __init__(self, target, seed=None, types=None, first=0):
        self.target = target
        self.plan = (seed, types) if types else None
        self.next_index, self.garbled = first, 0   # lines the faulty console garbled
        self.faults, self.cur = [], None
        self.before = new_fault(-1, "none", 0)   # failures before the first fault
        self.slots = {}                          # slot -> {"pending": (gen, size, seed), "acked": ...}
        self.end = self.final_sync = self.no_campaign = None
        self.traces = 0   # failures whose trace was kept (--trace-failures)
        self.restart_checks = []   # (clean, report) of the disk at each restart (--fsck-restarts)
        self.errors_in_row = 0

    def gone_bad(self):
        """Why the rest of this boot can measure nothing, if it cannot: a
        fault turned into wrong bytes on the disk (the driver commands
        DMA), and the workload gets only errors."""
        if self.errors_in_row >= BAD_FS_ERRORS:
            return f"the file system went bad ({self.errors_in_row} errors in a row, no write acknowledged)"
        return None

    def line(self, text):
        for name, rx in LINES:
            m = rx.search(text)
            if m:
                getattr(self, "on_" + name)(*m.groups())
                return

    def rec(self):
        return self.cur if self.cur is not None else self.before

    def on_inject(self, i, kind, seed):
        """The line comes through the console, which may be the target: its
        index, type or seed may be garbled. The host knows what fault i is,
        and that faults come in order, so it believes the plan."""
        i, seed = int(i), int(seed)
        want = self.plan and planned_fault(*self.plan, i)
        if want and want != (kind, seed):
            self.garbled += 1
            if want[1] != seed:   # the index is wrong too: the next one it is
                i = self.next_index
            kind, seed = planned_fault(*self.plan, i)
        self.next_index = i + 1
        self.cur = new_fault(i, kind, seed)
        self.faults.append(self.cur)

    def on_not_injected(self, i, kind, why):
        self.rec()["not_injected"].append(kind)

    def on_injected(self, i, kind):
        r = self.rec()
        r["injected"], r["type"] = True, kind
        if kind == "crash":   # pc = 0 faults at once: activated if a crash was seen
            r["activated"] = r["activated"] or r["crashes_detected"] > 0

    def on_outcome(self, i, what, ms):
        r = self.rec()
        r["outcome"], r["guest_watch_ms"] = what, int(ms)
        if what == "dead" and r["restarts"] == 0:
            r["left_dead"] = 1
        if what == "restarted" and r["recovery_ms"] is None:
            r["recovery_ms"], r["recovery_source"] = int(ms), "campaign"   # an upper bound, 1 ms polls

    def ended(self):
        """The last fault of a boot that left its target failed and not
        restarted left it dead, whether or not its outcome line came out
        (the console may be the target)."""
        last = self.faults[-1] if self.faults else None
        if last and last["crashes_detected"] + last["hangs_detected"] > last["restarts"]:
            last["left_dead"] = 1

    def on_end(self, i, why):
        self.end = (int(i), why)

    def on_final_sync(self, why):
        self.final_sync = why

    def on_no_campaign(self, why):
        self.no_campaign = why

    def failure(self, name, key):
        r = self.rec()
        if name == self.target:
            r[key] += 1
            r["activated"] = True
            r["injected"] = r["index"] >= 0   # its own line may be lost with the console
        elif name != "campaign":
            r["other_task_failures"] += 1

    def on_crashed(self, name):
        self.failure(name, "crashes_detected")

    def on_hung(self, name):
        self.failure(name, "hangs_detected")

    def on_exited(self, name):
        if name == self.target:
            self.rec()["activated"] = True
        elif name != "campaign":
            self.rec()["other_task_failures"] += 1

    def on_restarted(self, name, generation, ms):
        r = self.rec()
        if name == self.target:
            r["restarts"] += 1
            if ms is not None and r["recovery_source"] != "fs":
                r["recovery_ms"], r["recovery_source"] = int(ms), "supervisor"

    def on_down(self, name):
        if name == self.target:
            self.rec()["left_dead"] = 1

    def on_activated(self, kind, name):
        if name == self.target:
            self.rec()["activated"] = True

    def on_back(self, name, ms):
        r = self.rec()
        if name == self.target:
            r["recovery_ms"], r["recovery_source"] = int(ms), "fs"

    def on_client_error(self):
        self.rec()["client_errors"] += 1
        self.errors_in_row += 1

    def on_wrong_bytes(self, path, off):
        self.rec()["silent_corruptions"] += 1

    def on_write(self, slot, gen, size, seed):
        self.slots.setdefault(int(slot), {"acked": None})["pending"] = (int(gen), int(size), int(seed))

    def on_synced(self, slot, gen):
        self.errors_in_row = 0
        s = self.slots.get(int(slot), {})
        if s.get("pending") and s["pending"][0] == int(gen):
            s["acked"], s["pending"] = s["pending"], None


# --- the disk at the end of a boot -----------------------------------------

WORKLOAD_SLOTS, WORKLOAD_MAX_SIZE = 8, 96 << 10   # tests/programs/workload
SUPERSEDED_LOOKAHEAD = 64   # later generations of a slot looked for on the disk


def workload_plan(rounds):
    """[(slot, gen, size, seed)] of the workload's first `rounds` writes:
    its generator is fixed, so the host can make them too (round r writes
    slot r % 8, generation r // 8 + 1)."""
    rng, plan = 0x853c49e6748fea9b, []
    for r in range(rounds):
        rng = lcg(rng)
        size = 1 + (rng >> 11) % WORKLOAD_MAX_SIZE
        rng = lcg(rng)
        plan.append((r % WORKLOAD_SLOTS, r // WORKLOAD_SLOTS + 1, size, rng >> 11))
    return plan


def superseded(data, slot, gen, planned):
    """Whether `data` is exactly a later generation of the slot (planned:
    (slot, gen) -> (size, seed)): a write the workload made after the
    acknowledged one, whose record never reached the host (the console may
    be the target, and a boot may end with lines still in its ring). That
    acknowledged write was replaced, not lost."""
    for g in range(gen + 1, gen + 1 + SUPERSEDED_LOOKAHEAD):
        size, seed = planned.get((slot, g), (-1, 0))
        if len(data) == size and data == pattern(size, seed):
            return True
    return False


def replayed(disk):
    """With a journal, the disk as a mount would find it: a copy whose log
    e2fsprogs replayed (the file server's own replay is tested apart)."""
    copy = disk + ".replayed"
    shutil.copy(disk, copy)
    subprocess.run([E2FSCK, "-E", "journal_only", "-y", copy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return copy


def check_disk(disk, boot, kind="ext2"):
    """The acknowledged writes still on the disk exactly, the host's file
    untouched, e2fsck's verdict. A slot whose last write was started but
    not acknowledged is not judged: it may hold anything of that write. A
    slot that holds a later generation exactly (workload_plan) was
    rewritten, not lost: counted as superseded, if the plan matches every
    write record the host did see."""
    if kind == "ext3":
        disk = replayed(disk)
    lost, judged, replaced = [], 0, []
    top = max([s["acked"][0] for s in boot.slots.values() if s.get("acked")] + [0])
    planned = {(s, g): (size, seed)
               for s, g, size, seed in workload_plan((top + SUPERSEDED_LOOKAHEAD + 1) * WORKLOAD_SLOTS)}
    plan_holds = all(planned.get((slot, w[0])) == (w[1], w[2]) for slot, s in boot.slots.items()
                     for w in (s.get("pending"), s.get("acked")) if w)
    for slot, s in sorted(boot.slots.items()):
        if s.get("pending") or not s["acked"]:
            continue
        judged += 1
        gen, size, seed = s["acked"]
        data = dump(disk, f"/cw/{slot}")
        if data == pattern(size, seed):
            continue
        if plan_holds and data is not None and superseded(data, slot, gen, planned):
            replaced.append(f"/cw/{slot} generation {gen}")
        else:
            lost.append(f"/cw/{slot} generation {gen}")
    ref_ok = dump(disk, REF_PATH) == pattern(REF_SIZE, REF_SEED)
    synced = dump(disk, "/campaign.done") == b"synced\n"   # the campaign task's last act
    clean, report = fsck_clean(disk)
    return {"writes_lost": lost, "writes_superseded": replaced, "writes_judged": judged,
            "reference_intact": ref_ok, "synced": synced,
            "e2fsck_clean": clean, "e2fsck": report[-2000:]}


# --- a job: boots until its range is done ---------------------------------

class Progress:
    """The progress bar on stderr, shared by every job."""

    def __init__(self, total, show):
        self.total, self.done, self.boots, self.show = total, 0, 0, show
        self.lock, self.t0 = threading.Lock(), time.monotonic()

    def fault_done(self, boots=0):
        with self.lock:
            self.done += 1 if not boots else 0
            self.boots += boots
            if self.show:
                n = 40 * self.done // max(self.total, 1)
                rate = self.done / max(time.monotonic() - self.t0, 1e-6) * 60
                sys.stderr.write(f"\r[{'#' * n}{' ' * (40 - n)}] {self.done}/{self.total} faults, "
                                 f"{self.boots} boots, {rate:.0f}/min ")
                sys.stderr.flush()


def orders(args, first, count):
    trace = args.trace_records if args.trace_failures else 0
    return (f"target={args.target} first={first} count={count} seed={args.seed} window={args.window} "
            f"settle={args.settle} budget={args.budget} trace={trace} types={','.join(args.types)}\n")


def keep_traces(out, folder):
    """The trace the campaign task printed after each failure (a kernel
    built with -Dtrace=true), as FOLDER/fault-I.json (docs/tracing.md)."""
    import ipctrace
    by_fault = {}
    for m in re.finditer(r"^campaign: trace (\d+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)\r?$", out, re.M):
        by_fault.setdefault(int(m.group(1)), []).append(ipctrace.Record([int(m.group(k), 16) for k in range(2, 6)]))
    for i, recs in by_fault.items():
        with open(os.path.join(folder, f"fault-{i}.json"), "w") as f:
            json.dump(ipctrace.chrome(recs, 0, "time"), f)
    return len(by_fault)


def run_job(args, first, count, progress, boots):
    """Boots the system until faults first..first+count-1 are all in."""
    nxt, end, stuck = first, first + count, 0
    while nxt < end and stuck < 3:
        with tempfile.TemporaryDirectory() as folder:
            disk = prepare_disk(args.build, folder, orders(args, nxt, end - nxt), args.fs)
            boot = Boot(args.target, args.seed, args.types, nxt)
            qmp = Qmp(os.path.join(folder, "qmp")) if args.fsck_restarts else None

            def on_line(text, boot=boot):
                had = boot.cur is not None and boot.cur["outcome"] is not None
                boot.line(text)
                if qmp and text.startswith(f"init: restarting {args.target}: done"):
                    boot.restart_checks.append(check_restart(qmp, disk, args.fs))
                if boot.cur is not None and boot.cur["outcome"] is not None and not had:
                    progress.fault_done()
                return boot.gone_bad()

            r = run_qemu(args.build, disk, on_line, qmp and qmp.path)
            boot.ended()
            boot.result = r
            boot.disk = check_disk(disk, boot, args.fs)
            if args.keep_logs:
                with open(os.path.join(args.keep_logs, f"boot-{first}-{nxt}.log"), "w") as f:
                    f.write(r.out)
            if args.trace_failures:
                boot.traces = keep_traces(r.out, args.trace_failures)
        boots.append(boot)
        progress.fault_done(boots=1)
        done = [f["index"] for f in boot.faults if f["outcome"] is not None]
        if boot.faults and boot.faults[-1]["outcome"] is None:   # the boot ended during it: it counts
            done.append(boot.faults[-1]["index"])
        stuck = 0 if done else stuck + 1
        nxt = max(done) + 1 if done else nxt


# --- the figures ------------------------------------------------------------

def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))] if xs else None


def counts(faults):
    c = {k: 0 for k in COUNTS}
    for f in faults:
        c["faults"] += f["injected"]
        c["activated"] += f["activated"]
        effect = (f["crashes_detected"] or f["hangs_detected"] or f["restarts"] or f["client_errors"] or
                  f["silent_corruptions"] or f["other_task_failures"] or f["left_dead"])
        c["no_effect"] += f["injected"] and not effect
        for k in ("crashes_detected", "hangs_detected", "restarts", "client_errors", "silent_corruptions",
                  "other_task_failures"):
            c[k] += f[k]
    # a refusal counts once, whether a crash went in instead or nothing did
    c["not_injected"] = sum(max(len(f["not_injected"]), not f["injected"]) for f in faults if f["index"] >= 0)
    c["left_dead"] = sum(f["left_dead"] for f in faults)
    return c


OUTCOMES = ["silent corruption", "client errors", "hang", "crash", "exit or other", "no visible effect",
            "not injected"]


def outcome_class(f):
    """One outcome a fault is drawn as: the worst thing seen after it."""
    if not f["injected"]:
        return "not injected"
    for name, key in (("silent corruption", "silent_corruptions"), ("client errors", "client_errors"),
                      ("hang", "hangs_detected"), ("crash", "crashes_detected")):
        if f[key]:
            return name
    return "exit or other" if f["restarts"] or f["left_dead"] or f["other_task_failures"] else "no visible effect"


def summarize(args, boots, seconds):
    faults = sorted((f for b in boots for f in b.faults), key=lambda f: f["index"])
    everything = faults + [b.before for b in boots]
    fig = counts(everything)
    fig["faults"] = counts(faults)["faults"]
    for b in boots:   # what only the end of a boot or the disk says
        fig["kernel_panics"] += b.result.panicked
        fig["writes_lost"] += len(b.disk["writes_lost"])
        fig["silent_corruptions"] += not b.disk["reference_intact"]
    rec = [f["recovery_ms"] for f in faults if f["recovery_ms"] is not None]
    sources = sorted({f["recovery_source"] for f in faults if f["recovery_source"]})
    synced = [b for b in boots if b.disk["synced"]]
    fig.update({
        # an image left without a final sync (the target dead) is a power cut
        # for ext2, which has no journal: judged apart (docs/campaigns.md)
        "e2fsck_clean": all(b.disk["e2fsck_clean"] for b in synced) if synced else None,
        "e2fsck_images_checked": len(synced),
        "e2fsck_clean_unsynced_boots": all(b.disk["e2fsck_clean"] for b in boots if not b.disk["synced"]),
        "recovery_ms": {"median": statistics.median(rec) if rec else None, "p99": percentile(rec, 99),
                        "max": max(rec) if rec else None},
        "recovery_source": sources,
        "faults_per_minute": round(fig["faults"] / max(seconds, 1e-6) * 60, 1),
        "faults_per_minute_per_core": round(fig["faults"] / max(seconds, 1e-6) * 60 / min(args.jobs, os.cpu_count() or 1), 1),
        "seed": args.seed, "commit": commit(), "target": args.target, "fs": args.fs, "types": args.types, "jobs": args.jobs,
        "traces_kept": sum(b.traces for b in boots), "trace_folder": args.trace_failures,
        "e2fsck_at_restarts": ({"checked": sum(len(b.restart_checks) for b in boots),
                                "clean": sum(ok for b in boots for ok, _ in b.restart_checks),
                                "first_unclean": next((rep[-800:] for b in boots for ok, rep in b.restart_checks
                                                       if not ok), None)}
                               if args.fsck_restarts else None),
        "boots": len(boots), "boots_stopped": sum(b.result.timed_out for b in boots),
        "boots_ended_bad_fs": sum(b.result.stopped is not None for b in boots),
        "boots_without_final_sync": len(boots) - len(synced),
        "writes_judged": sum(b.disk["writes_judged"] for b in boots),
        "writes_superseded": sum(len(b.disk["writes_superseded"]) for b in boots), "wall_seconds": round(seconds, 1),
        "inject_lines_garbled": sum(b.garbled for b in boots),
        "unrecovered": sum(f["crashes_detected"] + f["hangs_detected"] - f["restarts"] - f["left_dead"]
                           for f in faults if f["crashes_detected"] + f["hangs_detected"] > f["restarts"] + f["left_dead"]),
        "lines_seen": lines_seen(boots),
    })
    by_type = {}
    for kind in sorted({f["type"] for f in faults} | {k for f in faults for k in f["not_injected"]}):
        mine = [f for f in faults if f["type"] == kind]
        c = counts(mine)
        c["not_injected"] = sum(k == kind for f in faults for k in f["not_injected"])
        r = [f["recovery_ms"] for f in mine if f["recovery_ms"] is not None]
        c["recovery_ms"] = {"median": statistics.median(r) if r else None, "p99": percentile(r, 99),
                            "max": max(r) if r else None}
        c["outcomes"] = {o: sum(outcome_class(f) == o for f in mine) for o in OUTCOMES}
        by_type[kind] = c
    fig["by_type"] = by_type
    fig["boots_detail"] = [{"faults": [b.faults[0]["index"], b.faults[-1]["index"]] if b.faults else [],
                            "end": b.end and b.end[1], "ended": b.result.why or "powered off",
                            "final_sync": b.final_sync, "synced_at_end": b.disk["synced"], "writes_lost": b.disk["writes_lost"],
                            "writes_superseded": b.disk["writes_superseded"],
                            "reference_intact": b.disk["reference_intact"], "e2fsck_clean": b.disk["e2fsck_clean"],
                            "e2fsck": "" if b.disk["e2fsck_clean"] else b.disk["e2fsck"]} for b in boots]
    fig["recovery_samples"] = rec
    fig["fault_list"] = [[f["index"], f["type"], f["seed"], f["outcome"]] for f in faults]
    return fig


def lines_seen(boots):
    """Which parts' lines this run saw at all (docs/campaigns.md: a figure
    whose part is missing stays 0)."""
    out = "".join(b.result.out for b in boots)
    return {"hang detection (sup)": "hung: no heartbeat" in out,
            "restart generation and time (sup)": bool(re.search(r"restarting \S+: done \(generation", out)),
            "left-dead report (sup)": " is down" in out,
            "activation (inj)": "inject: activated" in out,
            "typed injection (inj)": bool(re.search(r"campaign: fault \d+ (?!crash)\S+ injected", out)),
            "block recovery time (blk)": bool(re.search(r"^fs: \S+ back after", out, re.M))}


def commit():
    p = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    dirty = subprocess.run(["git", "-C", ROOT, "diff", "--quiet", "HEAD"]).returncode != 0
    return p.stdout.strip() + ("-dirty" if dirty else "") if p.returncode == 0 else "unknown"


def print_table(fig):
    rows = [("faults injected", "faults"), ("not injected (refused, or the boot ended first)", "not_injected"),
            ("activated", "activated"), ("no visible effect", "no_effect"),
            ("crashes detected", "crashes_detected"), ("hangs detected", "hangs_detected"),
            ("restarts", "restarts"), ("left dead (new boot)", "left_dead"),
            ("detected, not restarted nor left dead", "unrecovered"), ("errors returned to clients", "client_errors"),
            ("silent corruptions", "silent_corruptions"), ("acknowledged writes lost", "writes_lost"),
            ("kernel panics", "kernel_panics"), ("failures of other tasks", "other_task_failures")]
    print(f"campaign: {fig['target']}, seed {fig['seed']}, types {','.join(fig['types'])}, commit {fig['commit']}")
    print(f"{'':44}{'all':>8}" + "".join(f"{t:>9}" for t in fig["by_type"]))
    for label, key in rows:
        cells = "".join(f"{fig['by_type'][t].get(key, 0):>9}" for t in fig["by_type"])
        print(f"{label:44}{fig.get(key, 0):>8}{cells if key in fig['by_type'].get(next(iter(fig['by_type']), ''), {}) else ''}")
    r = fig["recovery_ms"]
    print(f"{'recovery ms (guest) median / p99 / max':44}{r['median']} / {r['p99']} / {r['max']}"
          f"  (from: {', '.join(fig['recovery_source']) or 'no restart'})")
    clean = {True: "yes", False: "NO", None: "no image synced at the end"}[fig["e2fsck_clean"]]
    print(f"{'e2fsck -fn clean (images synced at the end)':44}{clean}"
          f"  ({fig['boots']} boots, {fig['boots_without_final_sync']} without a final sync; those "
          f"{'clean too' if fig['e2fsck_clean_unsynced_boots'] else 'not all clean: a power cut for ext2'})")
    print(f"{'acknowledged writes checked on the host':44}{fig['writes_judged']}  ({fig['writes_superseded']} "
          f"found rewritten by a later write whose record never came)")
    print(f"{'boots ended: silent or too long / fs bad':44}{fig['boots_stopped']} / {fig['boots_ended_bad_fs']}"
          f"  (the rest of their faults went to a new boot)")
    if fig.get("e2fsck_at_restarts"):
        e = fig["e2fsck_at_restarts"]
        print(f"{'e2fsck -fn clean at each restart':44}{e['clean']} of {e['checked']}"
              f"  (the disk copied with QEMU stopped as the new instance starts{', replayed by e2fsprogs' if fig['fs'] == 'ext3' else ''})")
    if fig.get("trace_folder"):
        print(f"{'traces of failures kept':44}{fig['traces_kept']}  (in {fig['trace_folder']}, fault-I.json)")
    print(f"{'faults per minute (wall, all jobs)':44}{fig['faults_per_minute']}  ({fig['wall_seconds']} s, "
          f"{fig['jobs']} jobs; per core {fig['faults_per_minute_per_core']})")
    missing = [k for k, seen in fig["lines_seen"].items() if not seen]
    if missing:
        print("not seen in this run (their figures stay 0 or fall back): " + "; ".join(missing))


def plot(fig, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    kinds = list(fig["by_type"])
    f, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    bottom = [0] * len(kinds)
    for label in OUTCOMES:   # each fault once, by the worst thing seen after it
        vals = [fig["by_type"][k]["outcomes"][label] for k in kinds]
        a.bar(kinds, vals, bottom=bottom, label=label)
        bottom = [x + y for x, y in zip(bottom, vals)]
    a.set_title(f"outcomes by fault type ({fig['target']}, seed {fig['seed']})")
    a.set_ylabel("faults")
    a.legend(fontsize=8)
    a.tick_params(axis="x", rotation=45)
    rec = fig["recovery_samples"]
    b.hist(rec or [0], bins=min(40, max(5, len(set(rec)))))
    b.set_title(f"recovery time, guest ms ({', '.join(fig['recovery_source']) or 'none'})")
    b.set_xlabel("ms from the failure")
    b.set_ylabel("restarts")
    f.tight_layout()
    f.savefig(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", required=True, choices=TARGETS)
    ap.add_argument("--faults", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--types", default="crash", help="comma-separated fault types, or 'all'")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--fs", choices=("ext2", "ext3"),
                    help="the disk's file system: ext3 has a journal, the file server's crash recovery "
                         "(default: ext3 for --target fs, else ext2)")
    ap.add_argument("--json")
    ap.add_argument("--plot")
    ap.add_argument("--window", type=int, default=40, help="guest ms with no effect before the next fault")
    ap.add_argument("--settle", type=int, default=5, help="guest ms after a recovery before the next fault")
    ap.add_argument("--budget", type=int, default=BUDGET_MS,
                    help="guest ms of a boot after which the campaign task syncs and stops; the rest go to a new boot")
    ap.add_argument("--keep-logs", help="a folder for every boot's console output")
    ap.add_argument("--trace-failures", metavar="DIR",
                    help="a folder for the IPC trace around each failure detected, fault-I.json "
                         "(the kernel built with -Dtrace=true: ./do.sh campaign does it)")
    ap.add_argument("--trace-records", type=int, default=400, help="records kept of each failure's trace")
    ap.add_argument("--fsck-restarts", action="store_true",
                    help="at each restart of the target, copy the disk with QEMU stopped and e2fsck it "
                         "(after e2fsprogs replays the journal, on ext3)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args()
    args.fs = args.fs or ("ext3" if args.target == "fs" else "ext2")
    args.types = FAULT_TYPES if args.types == "all" else args.types.split(",")
    bad = [t for t in args.types if t not in FAULT_TYPES]
    if bad or args.faults < 1 or args.jobs < 1:
        ap.error(f"unknown fault types {bad}" if bad else "--faults and --jobs must be at least 1")
    args.build = qemu_run.BUILD
    if args.keep_logs:
        os.makedirs(args.keep_logs, exist_ok=True)
    if args.trace_failures:
        os.makedirs(args.trace_failures, exist_ok=True)
    jobs = min(args.jobs, args.faults)
    progress = Progress(args.faults, not args.quiet)
    boots, threads, t0 = [], [], time.monotonic()
    for j in range(jobs):   # disjoint ranges: job j takes its share of the fault numbers
        first = j * args.faults // jobs
        count = (j + 1) * args.faults // jobs - first
        t = threading.Thread(target=run_job, args=(args, first, count, progress, boots))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    if not args.quiet:
        sys.stderr.write("\n")
    fig = summarize(args, boots, time.monotonic() - t0)
    print_table(fig)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(fig, f, indent=1)
    if args.plot:
        plot(fig, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
