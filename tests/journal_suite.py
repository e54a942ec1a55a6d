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
import subprocess
import tempfile

import pexpect

import storage_suite as st
import system_suite

DUMPE2FS = shutil.which("dumpe2fs") or "/usr/sbin/dumpe2fs"
CUT_SEED = 1
CUTS = 8
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
    whether the shell's prompt came meanwhile (its output and the
    monitor's share the terminal)."""
    seen = ""
    for send in ("\x01c", "info blockstats\r"):
        c.p.send(send)
        c.p.expect(r"\(qemu\) ")
        seen += c.p.before
    c.p.send("\x01c")
    m = re.search(r"wr_operations=(\d+)", seen)
    return int(m.group(1)) if m else 0, re.search(system_suite.PROMPT, seen) is not None


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
                        (unclean_ext2, UNCLEAN_CHECKS)):
        with tempfile.TemporaryDirectory() as tmp, res.suite("journal", checks) as s:
            run(s, tmp)
