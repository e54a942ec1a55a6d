"""The journal (servers/fs/journal.c), with e2fsprogs as the oracle: ext3
images made by mke2fs read back and stay clean after the guest writes; a
log written by debugfs is replayed (and a revoked block is not); and the
power cut: QEMU killed at seeded points of a workload, after which both
e2fsprogs' replay and ours leave a clean disk holding every synced file
byte for byte."""
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pexpect

import qemu_run
import storage_suite as st
import system_suite

DUMPE2FS = shutil.which("dumpe2fs") or "/usr/sbin/dumpe2fs"
CUT_SEED = 1
CUTS = 8
CRASH_SEED = 1
CRASHES = 8
IOPS = 20   # the disk's speed during the workload, requests a second


def make_ext3(path, block_size, size_mb, files):
    st.make_image(path, block_size, size_mb, files, kind="ext3")


def debugfs(image, script, write=False):
    p = subprocess.run([st.DEBUGFS] + (["-w"] if write else []) + ["-f", "-", image], input=script.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.stdout.decode(errors="replace")


def journal_header(image):
    """(sequence, start) of the journal superblock, from dumpe2fs."""
    out = subprocess.run([DUMPE2FS, "-h", image], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    seq = re.search(r"Journal sequence:\s+0x([0-9a-f]+)", out)
    start = re.search(r"Journal start:\s+(\d+)", out)
    return (int(seq.group(1), 16) if seq else None, int(start.group(1)) if start else None)


def block_at(image, block, size):
    with open(image, "rb") as f:
        f.seek(block * size)
        return f.read(size)


EXT3_CHECKS = [f"journal/ext3-{b}-{n}" for b in ("1k", "4k")
               for n in ("host-files-read-back", "guest-run", "e2fsck-clean", "written-files-match-debugfs",
                         "commits-made", "log-empty-after-poweroff")]


def ext3_images(res, tmp):
    for bs, tag in ((1024, "1k"), (4096, "4k")):
        files = {"small.txt": st.pattern(100, 3), "big.bin": st.pattern(300 * 1024, 4), "d/e/f.txt": b"deep\n"}
        image = os.path.join(tmp, f"ext3-{tag}.img")
        make_ext3(image, bs, 16, files)
        seq0, _ = journal_header(image)
        r, out = st.guest(image, ["cksum /small.txt /big.bin /d/e/f.txt", "mkdir /new", "write /new/a 70000 5",
                                  "write /b 5000 6", "mv /b /new/b", "rm /small.txt", "write /c 3000 7",
                                  "echo tail > /d/e/g"])
        want = all(f"{st.posix_cksum(data)} {len(data)} /{name}" in out for name, data in files.items())
        res.report(want, f"journal/ext3-{tag}-host-files-read-back", out[-1500:])
        res.report(r.ok and "fs:" not in out, f"journal/ext3-{tag}-guest-run", r.why + out[-800:])
        ok, report = st.fsck_clean(image)
        res.report(ok, f"journal/ext3-{tag}-e2fsck-clean", report[-600:])
        same = (st.dump(image, "/new/a") == st.pattern(70000, 5) and st.dump(image, "/new/b") == st.pattern(5000, 6)
                and st.dump(image, "/c") == st.pattern(3000, 7) and st.dump(image, "/d/e/g") == b"tail\n"
                and st.dump(image, "/big.bin") == files["big.bin"] and st.dump(image, "/small.txt") == b"")
        res.report(same, f"journal/ext3-{tag}-written-files-match-debugfs")
        seq, start = journal_header(image)
        res.report(seq is not None and seq0 is not None and seq > seq0, f"journal/ext3-{tag}-commits-made",
                   f"journal sequence {seq0} -> {seq}")
        res.report(start == 0, f"journal/ext3-{tag}-log-empty-after-poweroff", f"journal start {start}")


HOST_LOG_CHECKS = ["journal/host-log-replayed-named", "journal/host-log-blocks-home",
                   "journal/host-log-revoked-block-untouched", "journal/host-log-image-clean"]


def host_log(res, tmp):
    """Two transactions debugfs wrote, as Linux would: the first logs the
    block of /f and a free block, the second revokes the free one."""
    image = os.path.join(tmp, "hostlog.img")
    make_ext3(image, 1024, 8, {"f": b"original contents\n"})
    b = int(debugfs(image, "bmap /f 0\n").strip().split()[-1])
    before = block_at(image, b + 1, 1024)
    new = b"from the journal\n".ljust(1024, b"\0")
    blocks = os.path.join(tmp, "blocks")
    with open(blocks, "wb") as f:
        f.write(new + b"x" * 1024)
    debugfs(image, f"jo\njw -b {b},{b + 1} {blocks}\njw -r {b + 1}\njc\n", write=True)
    r, out = st.guest(image, ["cat /f"])
    res.report(r.ok and "fs: journal replayed: 2 transactions, 1 block;" in out, "journal/host-log-replayed-named", out[-800:])
    res.report("from the journal" in out and block_at(image, b, 1024) == new, "journal/host-log-blocks-home")
    res.report(block_at(image, b + 1, 1024) == before, "journal/host-log-revoked-block-untouched")
    ok, report = st.fsck_clean(image)
    res.report(ok, "journal/host-log-image-clean", report[-600:])


def workload(rng, n=40):
    """Shell commands that write, overwrite, move and remove files and
    sync now and then; with, after each, the files it leaves ({name:
    (size, seed)}) and whether it was a sync."""
    cmds, files, names = [], {}, 0
    for i in range(n):
        op = rng.random()
        if op < 0.4 or len(files) < 2:
            name = f"/f{names}" if rng.random() < 0.7 or not files else rng.choice(sorted(files))
            names += 1
            size, seed = rng.choice([100, 3000, 20000, 70000, 150000]), rng.randrange(1, 1000)
            cmds.append(f"write {name} {size} {seed}")
            files[name] = (size, seed)
        elif op < 0.55:
            name = rng.choice(sorted(files))
            cmds.append(f"rm {name}")
            del files[name]
        elif op < 0.65:
            a = rng.choice(sorted(files))
            b = f"/m{names}"
            names += 1
            cmds.append(f"mv {a} {b}")
            files[b] = files.pop(a)
        else:
            cmds.append("sync")
        cmds[-1] = (cmds[-1], dict(files))
    return cmds


def synced_files(cmds, done, cut):
    """The files the last sync before command `done` made durable that no
    command from then up to the cut one (which may have half run) names."""
    last = max((i for i in range(done) if cmds[i][0] == "sync"), default=None)
    if last is None:
        return {}
    touched = " ".join(c for c, _ in cmds[last + 1:cut + 1]).split()
    return {n: v for n, v in cmds[last][1].items() if n not in touched}


def exact(image, files):
    bad = [n for n, (size, seed) in files.items() if st.dump(image, n) != st.pattern(size, seed)]
    return not bad, bad


CUT_CHECKS = ["journal/power-cut-mid-workload", "journal/power-cut-e2fsprogs-replay-clean",
              "journal/power-cut-e2fsprogs-replay-synced-files-exact", "journal/power-cut-our-replay-clean",
              "journal/power-cut-our-replay-synced-files-exact", "journal/power-cut-some-mid-commit"]


def writes_done(c):
    """Write requests the disk has completed, from QEMU's monitor; and
    whether the shell's prompt came meanwhile."""
    stats, seen = c.blockstats()
    return stats.get("wr_operations", 0), re.search(system_suite.PROMPT, seen) is not None


def run_until(c, cmds, cut_at, ends):
    """Run the workload until the disk has completed cut_at write requests,
    then stop the machine dead: the index of the command the cut came in
    and the writes when it came. ends[i]: the writes done once command i
    ended, in a run not cut; with cut_at None, that run, whose ends are
    filled in and returned."""
    for i, (cmd, _) in enumerate(cmds):
        if cut_at is None or ends[i] < cut_at:
            c.run(cmd)
            if cut_at is None:
                ends.append(writes_done(c)[0])
            continue
        c.p.send(cmd + "\r")
        for _ in range(500):   # the throttled disk completes one request a poll or so
            n, _ = writes_done(c)
            if n >= cut_at:
                c.monitor("stop")
                return i, n
        raise RuntimeError(f"{cmd}: {n} writes, never {cut_at}")
    return len(cmds), ends


def cut_session(image, cmds, cut_at, ends):
    make_ext3(image, 1024, 16, {"x": b"x"})
    c = st.MonitoredConsole(image, timeout=60)
    try:
        # a disk of IOPS requests a second: the polling sees each
        c.monitor(f"block_set_io_throttle disk0 0 0 0 {IOPS} 0 0")
        return run_until(c, cmds, cut_at, ends)
    finally:
        c.close()   # the power cut


def power_cuts(res, tmp):
    """CUTS power cuts, each after a seeded number of the workload's write
    requests (from QEMU's count): after each, the disk checked as e2fsprogs
    replays it and as we do."""
    rng = random.Random(CUT_SEED)
    cmds = workload(rng)
    _, ends = cut_session(os.path.join(tmp, "whole.img"), cmds, None, [])
    total = ends[-1]
    verdicts = {c: [] for c in CUT_CHECKS}
    for k in range(CUTS):
        image = os.path.join(tmp, f"cut{k}.img")
        cut_at = rng.randrange(1, max(total, 2))
        try:
            cut, n = cut_session(image, cmds, cut_at, ends)
            verdicts[CUT_CHECKS[0]].append((cut < len(cmds), f"cut {k} after {cut_at} writes: never came"))
        except Exception as e:   # noqa: BLE001 - any failure is this check's
            verdicts[CUT_CHECKS[0]].append((False, f"cut {k} after {cut_at} writes: {e!r}"))
            continue
        want = synced_files(cmds, cut, cut)
        verdicts[CUT_CHECKS[5]].append((journal_header(image)[1] != 0, ""))
        # e2fsprogs replays a copy; ours the image itself
        copy = image + ".e2fsprogs"
        shutil.copy(image, copy)
        subprocess.run([st.E2FSCK, "-fy", copy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok, report = st.fsck_clean(copy)
        verdicts[CUT_CHECKS[1]].append((ok, f"cut {k} after {n} writes: {report[-400:]}"))
        ok, bad = exact(copy, want)
        verdicts[CUT_CHECKS[2]].append((ok, f"cut {k} after {n} writes: not exact {bad}"))
        r, out = st.guest(image, ["ls /"])
        ok, report = st.fsck_clean(image)
        verdicts[CUT_CHECKS[3]].append((ok and r.ok, f"cut {k} after {n} writes: {r.why} {report[-400:]}"))
        ok, bad = exact(image, want)
        verdicts[CUT_CHECKS[4]].append((ok, f"cut {k} after {n} writes: not exact {bad}"))
    for name, vs in verdicts.items():
        if name == CUT_CHECKS[5]:   # the cuts must test the journal, not only the idle disk
            res.report(any(ok for ok, _ in vs), name, f"seed {CUT_SEED}: no cut left a transaction in the log")
            continue
        res.report(len(vs) == CUTS and all(ok for ok, _ in vs), name,
                   f"seed {CUT_SEED}, {total} writes in all: " + "; ".join(why for ok, why in vs if not ok))


# The file server crashed at its Nth block request, N over the whole
# workload: gdb, on QEMU's gdbstub, stops the machine when the server's
# blk_call (every block request starts there) runs for the Nth time and
# sets its pc to 0, the fault an injected `crash` makes.
CRASH_CHECKS = ["journal/crash-at-request-came", "journal/crash-at-request-restarted",
                "journal/crash-at-request-e2fsck-clean", "journal/crash-at-request-synced-files-exact",
                "journal/crash-at-request-some-mid-commit"]

GDB_SCRIPT = """
import gdb, sys
def say(*a):
    print(*a)
    sys.stdout.flush()
gdb.execute("set pagination off")
gdb.execute("target remote :%(port)d")
class Requests(gdb.Breakpoint):
    # the same address in another task is other code: only the server's counts
    def stop(self):
        if int(gdb.parse_and_eval("*(unsigned long *)%(addr)#x")) != %(word)#x:
            return False
        self.seen += 1
        say("REQ", *(int(gdb.parse_and_eval(r)) for r in ("$a0", "$a1", "$a2")))
        return self.seen == %(n)d
bp = Requests("*%(addr)#x")
bp.seen = 0
say("ARMED")
try:
    gdb.execute("continue")
    hit = int(gdb.parse_and_eval("$pc")) == %(addr)#x
except gdb.error:
    hit = False
if hit:
    gdb.execute("set $pc = 0")
    say("CRASHED")
    gdb.execute("detach")
"""


def text_at(elf, addr, size):
    """`size` bytes of a loaded segment of an ELF64 file at address addr."""
    with open(elf, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for k in range(phnum):
        typ, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + k * phentsize)
        if typ == 1 and vaddr <= addr < vaddr + filesz:
            return data[off + addr - vaddr:off + addr - vaddr + size]
    raise ValueError(f"{addr:#x} is in no segment of {elf}")


def blk_call_site():
    fs = os.path.join(qemu_run.BUILD, "servers", "fs")
    nm = subprocess.run(["riscv64-linux-gnu-nm", fs], stdout=subprocess.PIPE, text=True, check=True).stdout
    addr = int(next(line for line in nm.splitlines() if line.endswith(" blk_call")).split()[0], 16)
    return addr, int.from_bytes(text_at(fs, addr, 8), "little")


class Crasher:
    """gdb on the session's gdbstub: crashes the file server at its nth
    block request from now (n 0: counts them and crashes nothing)."""

    def __init__(self, c, n):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        c.monitor(f"gdbserver tcp:127.0.0.1:{port}")
        addr, word = blk_call_site()
        self.script = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        self.script.write(GDB_SCRIPT % {"port": port, "addr": addr, "word": word, "n": n})
        self.script.close()
        self.g = subprocess.Popen(["gdb-multiarch", "-q", "-batch", "-nx", "-x", self.script.name],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.out, self.armed = [], threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.armed.wait(30):
            raise RuntimeError("gdb never armed: " + "".join(self.out)[-400:])

    def _read(self):
        for line in self.g.stdout:
            self.out.append(line)
            if line.startswith("ARMED"):
                self.armed.set()

    def crashed(self, wait=0.3):
        time.sleep(wait)
        return any(line.startswith("CRASHED") for line in self.out)

    def requests(self):
        """The server's block requests gdb saw, (label, sector, count)
        each, once QEMU is gone."""
        try:
            self.g.wait(30)
        except subprocess.TimeoutExpired:
            self.g.kill()
        os.unlink(self.script.name)
        return [tuple(int(w) for w in line.split()[1:]) for line in self.out if line.startswith("REQ ")]


def crash_session(image, cmds, n):
    """The workload with the server crashed at its nth block request; then
    `ls /` (the new server mounts) and the power off, unsynced. The index
    of the command the crash came in and the console's output; with n 0,
    the block requests the whole workload made."""
    make_ext3(image, 1024, 16, {"x": b"x"})
    c = st.MonitoredConsole(image, timeout=60)
    try:
        g = Crasher(c, n)
        for i, (cmd, _) in enumerate(cmds):
            c.run(cmd)
            if n and g.crashed(wait=0.05):
                after = c.run("ls /")
                return i, after, c.log.getvalue()
        if not n:
            c.poweroff()
            return g.requests(), "", c.log.getvalue()
        return None, "", c.log.getvalue()
    finally:
        c.close()


BLK_READ, BLK_WRITE, BLK_FLUSH = 2, 3, 4   # include/proto/blk.h


def journal_blocks(image):
    """The blocks of the journal inode (8), from debugfs."""
    out = debugfs(image, "stat <8>\n")
    blocks = set()
    for a, b in re.findall(r"\):(\d+)(?:-(\d+))?", out):
        blocks.update(range(int(a), int(b or a) + 1))
    return blocks


def mid_checkpoint(requests, journal, sectors_per_block):
    """The numbers (from 1) of the requests that write metadata home after
    its commit, but not the first such write: a crash there leaves the
    disk half old, half new, and only a replay of the log mends it. A
    commit is log writes, a flush, the commit block, a flush; then the
    checkpoint's home writes."""
    out, state, run = [], None, 0
    for k, (label, sector, _) in enumerate(requests, 1):
        if label == BLK_FLUSH:
            state = "log flushed" if state == "log" else state
        elif label == BLK_WRITE and sector // sectors_per_block in journal:
            state, run = "log", 0
        elif label == BLK_WRITE and state == "log flushed":
            run += 1
            if run > 1:
                out.append(k)
        elif label == BLK_WRITE:
            state = "home"
    return out


def crash_points(res, tmp):
    """CRASHES crashes: half in seeded places spread over the workload's
    block requests, half in the middle of a checkpoint (where only the
    replay keeps the disk whole). Each time the restarted server must
    replay what was committed, and the disk must be clean and hold every
    synced file."""
    rng = random.Random(CRASH_SEED)
    cmds = workload(random.Random(CUT_SEED))
    count_image = os.path.join(tmp, "count.img")
    requests, _, log = crash_session(count_image, cmds, 0)
    total = len(requests)
    verdicts = {c: [] for c in CRASH_CHECKS}
    checkpoints = mid_checkpoint(requests, journal_blocks(count_image), 2)
    if total < CRASHES or not checkpoints:
        for name in CRASH_CHECKS:
            res.report(False, name, f"gdb saw {total} block requests, {len(checkpoints)} mid-checkpoint: {log[-400:]}")
        return
    # runs of the same workload differ by a few requests (249 to 254 seen): the last ten are left out
    spread, span = CRASHES // 2, max(total - 10, CRASHES)
    points = [rng.randrange(1 + k * span // spread, 1 + (k + 1) * span // spread) for k in range(spread)]
    early = [n for n in checkpoints if n <= span] or checkpoints
    points += sorted(rng.sample(early, min(CRASHES - spread, len(early))))
    if os.environ.get("K4_CRASH_POINTS") == "all":   # every N: outside CI (docs/testing.md)
        points = list(range(1, total + 1))
    for k, n in enumerate(points):
        image = os.path.join(tmp, f"crash{k}.img")
        tag = f"crash {k} at block request {n} of {total}{' (mid-checkpoint)' if n in checkpoints else ''}"
        try:
            cut, after, log = crash_session(image, cmds, n)
        except Exception as e:   # noqa: BLE001 - any failure is this check's
            verdicts[CRASH_CHECKS[0]].append((False, f"{tag}: {e!r}"))
            continue
        came = cut is not None and "init: task fs crashed: execute fault at pc 0x0" in log
        verdicts[CRASH_CHECKS[0]].append((came, f"{tag}: never came"))
        if not came:
            continue
        verdicts[CRASH_CHECKS[1]].append(("init: restarting fs: done" in log and "lost+found" in after,
                                          f"{tag}: {log[-400:]}"))
        replayed = re.search(r"fs: journal replayed: (\d+) transaction", log)
        verdicts[CRASH_CHECKS[4]].append((replayed is not None, ""))
        ok, report = st.fsck_clean(image)
        verdicts[CRASH_CHECKS[2]].append((ok, f"{tag}: {report[-400:]}"))
        ok, bad = exact(image, synced_files(cmds, cut, cut))
        verdicts[CRASH_CHECKS[3]].append((ok, f"{tag} (command {cut}): not exact {bad}"))
    for name, vs in verdicts.items():
        if name == CRASH_CHECKS[4]:   # the crashes must test the replay, not only the idle log
            res.report(any(ok for ok, _ in vs), name,
                       f"seed {CRASH_SEED}: {sum(ok for ok, _ in vs)} of {len(vs)} crashes left a transaction to replay")
            continue
        want = len(points) if name == CRASH_CHECKS[0] else len(verdicts[CRASH_CHECKS[0]])
        res.report(len(vs) == want and all(ok for ok, _ in vs), name,
                   f"seed {CRASH_SEED}, {total} block requests, {len(checkpoints)} mid-checkpoint: "
                   + "; ".join(why for ok, why in vs if not ok))


FSYNC_CHECKS = ["journal/fsync-client-checks", "journal/fsync-power-cut-e2fsprogs-replay-clean",
                "journal/fsync-power-cut-e2fsprogs-replay-files-exact", "journal/fsync-power-cut-our-replay-clean",
                "journal/fsync-power-cut-our-replay-files-exact", "journal/fsync-after-restart-says-restarted"]


def fsynced_bytes(salt):
    return bytes((i * 7 + salt) & 0xFF for i in range(20000))   # tests/programs/fsyncer


def fsync_durable(res, tmp):
    """`run fsyncer` makes /fsynced and /posix durable by fsync alone; the
    power is cut while it holds /after unsynced: both replays must give
    back the fsynced files. Then the file server crashes under the fsync
    of a file open since before: the client is told it restarted."""
    image = os.path.join(tmp, "fsync.img")
    make_ext3(image, 1024, 16, {"x": b"x"})
    c = st.MonitoredConsole(image, timeout=60)
    try:
        c.p.send("run fsyncer\r")
        c.p.expect(r"fsyncer: (\d+) checks, (\d+) failed; ready")
        res.report(c.p.match.group(2) == "0", "journal/fsync-client-checks", c.log.getvalue()[-800:])
    except Exception as e:   # noqa: BLE001 - any failure is this check's
        res.report(False, "journal/fsync-client-checks", repr(e))
    finally:
        c.close()   # the power cut
    want = {"/fsynced": fsynced_bytes(3), "/posix": fsynced_bytes(5)}
    copy = image + ".e2fsprogs"
    shutil.copy(image, copy)
    subprocess.run([st.E2FSCK, "-fy", copy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name, img in (("e2fsprogs", copy), ("our", image)):
        if name == "our":
            st.guest(image, ["ls /"])
        ok, report = st.fsck_clean(img)
        res.report(ok, f"journal/fsync-power-cut-{name}-replay-clean", report[-400:])
        bad = [p for p, data in want.items() if st.dump(img, p) != data]
        res.report(not bad, f"journal/fsync-power-cut-{name}-replay-files-exact", f"not exact: {bad}")
    c = st.MonitoredConsole(image, timeout=60)
    try:
        c.p.send("run fsyncer\r")
        c.p.expect(r"fsyncer: (\d+) checks, (\d+) failed; ready")
        Crasher(c, 1)   # at the next block request: the commit of the fsync of /after
        c.p.send("\n")   # fgets reads raw input: a line ends at \n
        c.p.expect(r"fsyncer: fsync of /after: ([a-z ]+), then ([a-z ]+)\r")
        res.report(c.p.match.group(2) == "server restarted" and "init: task fs crashed" in c.log.getvalue(),
                   "journal/fsync-after-restart-says-restarted", c.log.getvalue()[-800:])
    except Exception as e:   # noqa: BLE001 - any failure is this check's
        res.report(False, "journal/fsync-after-restart-says-restarted", repr(e) + c.log.getvalue()[-800:])
    finally:
        c.close()


COMMIT_ERROR_CHECKS = ["journal/log-write-error-once-sync-ok", "journal/log-write-error-once-clean-exact",
                       "journal/log-write-error-lasting-sync-named", "journal/log-write-error-lasting-shell-goes-on",
                       "journal/log-write-error-lasting-disk-clean", "journal/log-write-error-lasting-old-files-exact",
                       "journal/log-write-error-lasting-writable-after",
                       "journal/checkpoint-error-read-only-named", "journal/checkpoint-error-refuses-writes",
                       "journal/checkpoint-error-next-mount-replays", "journal/checkpoint-error-clean-exact"]


def erring_session(image, rule, commands):
    """Commands on a disk whose writes at `rule`'s sector fail (blkdebug),
    then the power off: what the console showed."""
    config = image + ".blkdebug"
    with open(config, "w") as f:
        f.write('[inject-error]\nevent = "write_aio"\niotype = "write"\nerrno = "5"\n' + rule)
    c = system_suite.Console(f"blkdebug:{config}:{image}", timeout=120)
    try:
        return [c.run(cmd) for cmd in commands]
    finally:
        c.poweroff()


def bmap(image, inode, block):
    return int(debugfs(image, f"bmap <{inode}> {block}\n").strip().split()[-1])


def commit_errors(res, tmp):
    """Disk errors inside a commit (QEMU's blkdebug, 1 KiB blocks: sector
    2b is block b). A log write that fails once is asked again and the sync
    succeeds; one that always fails leaves the transaction uncommitted (the
    sync is an i/o error, the disk as before and clean). A metadata write
    home that fails after its commit makes the server read-only and says
    so; the next mount replays the log and nothing is lost. (The sync
    that committed still says i/o error: the client cannot know better.)"""
    old = {"old.bin": st.pattern(30000, 21)}
    image = os.path.join(tmp, "logonce.img")
    make_ext3(image, 1024, 16, old)
    first_log = bmap(image, 8, 1)   # where every commit's first descriptor goes
    out = erring_session(image, f'once = "on"\nsector = "{first_log * 2}"\n', ["write /a 5000 2", "sync"])
    res.report(out[1] == "", "journal/log-write-error-once-sync-ok", out[1])
    ok, report = st.fsck_clean(image)
    res.report(ok and st.dump(image, "/a") == st.pattern(5000, 2), "journal/log-write-error-once-clean-exact",
               report[-400:])

    image = os.path.join(tmp, "loglast.img")
    make_ext3(image, 1024, 16, old)
    out = erring_session(image, f'sector = "{first_log * 2}"\n', ["write /a 5000 2", "sync", "echo alive"])
    res.report("sync: /: i/o error" in out[1], "journal/log-write-error-lasting-sync-named", out[1])
    res.report(out[2] == "alive\n", "journal/log-write-error-lasting-shell-goes-on", out[2])
    ok, report = st.fsck_clean(image)
    res.report(ok, "journal/log-write-error-lasting-disk-clean", report[-400:])
    res.report(st.dump(image, "/old.bin") == old["old.bin"], "journal/log-write-error-lasting-old-files-exact")
    r, out = st.guest(image, ["write /b 7000 3", "cksum /b"])
    ok, report = st.fsck_clean(image)
    res.report(r.ok and ok and st.dump(image, "/b") == st.pattern(7000, 3),
               "journal/log-write-error-lasting-writable-after", out[-400:] + report[-400:])

    image = os.path.join(tmp, "checkpoint.img")
    make_ext3(image, 1024, 16, old)
    root = bmap(image, 2, 0)   # the new name goes there: metadata, home only at the checkpoint
    out = erring_session(image, f'sector = "{root * 2}"\n', ["write /a 5000 2", "sync", "write /c 100 4"])
    res.report("fs: metadata could not be written home after its commit (i/o error): read-only now" in out[1],
               "journal/checkpoint-error-read-only-named", out[1])
    res.report("write: /c: read-only" in out[2], "journal/checkpoint-error-refuses-writes", out[2])
    r, out = st.guest(image, ["cksum /a"])
    res.report(r.ok and "fs: journal replayed: 1 transaction" in out
               and f"{st.posix_cksum(st.pattern(5000, 2))} 5000 /a" in out,
               "journal/checkpoint-error-next-mount-replays", out[-600:])
    ok, report = st.fsck_clean(image)
    res.report(ok and st.dump(image, "/a") == st.pattern(5000, 2) and st.dump(image, "/old.bin") == old["old.bin"],
               "journal/checkpoint-error-clean-exact", report[-400:])


UNCLEAN_CHECKS = ["journal/ext2-synced-cut-mounts-writable", "journal/ext2-unsynced-cut-mounts-read-only",
                  "journal/ext2-unclean-refuses-writes", "journal/ext2-unclean-reads", "journal/ext2-after-e2fsck-writable"]


def cut_after(image, commands):
    """A session that runs `commands`, then the power cut."""
    c = system_suite.Console(image, timeout=60)
    try:
        for cmd in commands:
            c.run(cmd)
    finally:
        c.close()


def unclean_ext2(res, tmp):
    """Without a journal the superblock's state is the only word: not clean
    from the first change after a sync, clean again at the sync; a disk
    left not clean mounts read-only until e2fsck has seen it."""
    image = os.path.join(tmp, "plain.img")
    st.make_image(image, 1024, 8, {"f": b"kept\n"})
    cut_after(image, ["write /a 5000 1", "sync"])
    r, out = st.guest(image, ["write /b 100 2", "cksum /b"])
    res.report(r.ok and "not cleanly unmounted" not in out and f"{st.posix_cksum(st.pattern(100, 2))} 100 /b" in out,
               "journal/ext2-synced-cut-mounts-writable", out[-800:])
    cut_after(image, ["write /c 70000 3"])
    r, out = st.guest(image, ["write /d 100 4", "cat /f"])
    res.report("fs: the disk was not cleanly unmounted and has no journal: mounted read-only" in out,
               "journal/ext2-unsynced-cut-mounts-read-only", out[-800:])
    res.report("write: /d: read-only" in out, "journal/ext2-unclean-refuses-writes", out[-800:])
    res.report("\nkept\n" in out, "journal/ext2-unclean-reads", out[-800:])
    subprocess.run([st.E2FSCK, "-fy", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r, out = st.guest(image, ["write /e 100 5", "cksum /e"])
    res.report(r.ok and "not cleanly" not in out and f"{st.posix_cksum(st.pattern(100, 5))} 100 /e" in out,
               "journal/ext2-after-e2fsck-writable", out[-800:])


def journal_suite(res):
    for run, checks in ((ext3_images, EXT3_CHECKS), (host_log, HOST_LOG_CHECKS), (power_cuts, CUT_CHECKS),
                        (crash_points, CRASH_CHECKS), (fsync_durable, FSYNC_CHECKS),
                        (commit_errors, COMMIT_ERROR_CHECKS),
                        (unclean_ext2, UNCLEAN_CHECKS)):
        with tempfile.TemporaryDirectory() as tmp, res.suite("journal", checks) as s:
            run(s, tmp)
