"""The disk, with the image as the oracle: files made on the host read back
exactly in the guest, files the guest writes read back exactly on the host
(debugfs), and e2fsck finds every image clean; full and corrupt disks give
errors and the system goes on."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import system_suite

MKE2FS = shutil.which("mke2fs") or "/usr/sbin/mke2fs"
DEBUGFS = shutil.which("debugfs") or "/usr/sbin/debugfs"
E2FSCK = shutil.which("e2fsck") or "/usr/sbin/e2fsck"


def pattern(size, seed):
    """The bytes the shell's `write FILE SIZE SEED` makes."""
    out, s = bytearray(size), seed
    for i in range(size):
        s = (s * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out[i] = s >> 56
    return bytes(out)


def posix_cksum(data):
    crc = 0
    def step(crc, b):
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
        return crc
    for b in data:
        crc = step(crc, b)
    n = len(data)
    while n:
        crc = step(crc, n & 0xFF)
        n >>= 8
    return (~crc) & 0xFFFFFFFF


def make_image(path, block_size, size_mb, files, kind="ext2"):
    """An ext2 (or `kind`) image holding `files` ({name: bytes}, names may
    have dirs)."""
    with tempfile.TemporaryDirectory() as d:
        for name, data in files.items():
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        subprocess.run([MKE2FS, "-q", "-F", "-t", kind, "-b", str(block_size), "-d", d, path, f"{size_mb}M"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def guest(image, commands, timeout=300):
    """Run shell commands on a disk image, then sync and power off: the
    run's qemu_run.Result, and what it printed without carriage returns."""
    r = system_suite.piped("\n".join(commands) + "\nsync\npoweroff\n", timeout=timeout, args=["--disk", image])
    return r, r.out.replace("\r", "")


def fsck_clean(image):
    p = subprocess.run([E2FSCK, "-fn", image], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode == 0, p.stdout.decode(errors="replace")


def dump(image, path):
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run([DEBUGFS, "-R", f"dump {path} {t.name}", image], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(t.name, "rb") as f:
            return f.read()


HOST_FILES = {"small.txt": 100, "twelve.bin": 12 * 1024, "indirect.bin": 100 * 1024, "double.bin": 300 * 1024,
              "big.bin": 1536 * 1024, "dir/deep/nested.txt": 777}


def host_files_read_back(res, tmp):
    files = {n: pattern(s, i + 1) for i, (n, s) in enumerate(HOST_FILES.items())}
    image = os.path.join(tmp, "host.img")
    make_image(image, 1024, 16, files)
    r, out = guest(image, ["cksum " + " ".join("/" + n for n in files)])
    res.report(r.ok, "storage/mke2fs-guest-run", r.why)
    for n, data in files.items():
        want = f"{posix_cksum(data)} {len(data)} /{n}"
        res.report(want in out, f"storage/mke2fs-file-reads-back-{n.replace('/', '-')}", want)
    ok, report = fsck_clean(image)
    res.report(ok, "storage/read-only-use-keeps-image-clean", report[-300:])


def guest_writes(res, tmp, block_size):
    tag = f"{block_size // 1024}k"
    image = os.path.join(tmp, f"guest{tag}.img")
    make_image(image, block_size, 32, {"keep.txt": b"untouched\n"})
    sizes = [0, 1, 1000, 12 * block_size, 100000, 300000, 1200000]
    cmds = [f"write /w{i} {s} {i + 10}" for i, s in enumerate(sizes)]
    cmds += ["echo first > /app", "echo second >> /app", "write /trunc 50000 3", "echo short > /trunc",
             "mkdir /a", "mkdir /a/b", "mkdir /a/b/c", "mkdir /a/b/c/d", "mkdir /a/b/c/d/e",
             "write /a/b/c/d/e/deep 5000 4", "mkdir /x", "mkdir /y", "write /x/moved 3000 5",
             "mv /x/moved /y/renamed", "mkdir /x/sub", "write /x/sub/inner 700 6", "mv /x/sub /y",
             "write /gone 20000 8", "rm /gone", "mkdir /empty", "rmdir /empty", "mkdir /many"]
    cmds += [f"echo {i} > /many/f{i}" for i in range(500)]
    cmds += ["rm /many/f7 /many/f99", "ls /many"]
    cmds += ["cp /w5 /c5", "cp /w6 /c6", "cp /w2 /c2"]   # 5000-byte reads and writes: through leases
    r, out = guest(image, cmds, timeout=600)
    res.report(r.ok, f"storage/{tag}-guest-run", r.why)
    ok, report = fsck_clean(image)
    res.report(ok, f"storage/{tag}-e2fsck-clean-after-writes", report[-500:])
    same = all(dump(image, f"/w{i}") == pattern(s, i + 10) for i, s in enumerate(sizes))
    res.report(same, f"storage/{tag}-written-files-match-debugfs")
    res.report(all(dump(image, f"/c{i}") == pattern(sizes[i], i + 10) for i in (2, 5, 6)),
               f"storage/{tag}-copies-through-leases-match")
    res.report(dump(image, "/app") == b"first\nsecond\n", f"storage/{tag}-append")
    res.report(dump(image, "/trunc") == b"short\n", f"storage/{tag}-truncate")
    res.report(dump(image, "/a/b/c/d/e/deep") == pattern(5000, 4), f"storage/{tag}-deep-path")
    res.report(dump(image, "/y/renamed") == pattern(3000, 5) and dump(image, "/y/sub/inner") == pattern(700, 6),
               f"storage/{tag}-rename-across-directories")
    res.report(dump(image, "/keep.txt") == b"untouched\n", f"storage/{tag}-other-files-untouched")
    listing = subprocess.run([DEBUGFS, "-R", "ls -p /many", image], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
    names = set(re.findall(r"/(f\d+)/", listing))
    res.report(len(names) == 498 and "f7" not in names and "f499" in names, f"storage/{tag}-500-files-in-a-dir",
               f"{len(names)} names")
    gone = subprocess.run([DEBUGFS, "-R", "stat /gone", image], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout.decode()
    res.report("File not found" in gone, f"storage/{tag}-removed-file-gone")


def offsets_and_triple_indirect(res, tmp):
    """Writes at chosen offsets, holes, and a file reaching past the double
    indirect blocks (with 1 KiB blocks those end at 64 MiB + 268 KiB)."""
    image = os.path.join(tmp, "offsets.img")
    make_image(image, 1024, 8, {})
    base = bytearray(pattern(40000, 9))
    cmds = ["write /f 40000 9"]
    rnd = __import__("random").Random(11)
    for _ in range(6):
        off, text = rnd.randrange(0, 45000), "".join(rnd.choice("abcxyz") for _ in range(rnd.randrange(1, 30)))
        cmds.append(f"poke /f {off} {text}")
        end = off + len(text)
        if end > len(base):
            base += bytes(end - len(base))
        base[off:end] = text.encode()
    far = 70 * 1024 * 1024
    cmds += [f"poke /sparse {far} triple", f"peek /sparse {far} 6", "peek /sparse 1000 4", "stat /sparse"]
    r, out = guest(image, cmds)
    res.report(r.ok, "storage/offsets-guest-run", r.why)
    ok, report = fsck_clean(image)
    res.report(ok, "storage/offsets-e2fsck-clean", report[-500:])
    res.report(dump(image, "/f") == bytes(base), "storage/writes-at-random-offsets")
    res.report("747269706c65\n" in out and "\n00000000\n" in out, "storage/triple-indirect-and-holes", out[-300:])
    res.report(f"{far + 6} bytes" in out, "storage/sparse-size")


def full_disk(res, tmp):
    image = os.path.join(tmp, "full.img")
    make_image(image, 1024, 1, {"a": b"a"})
    r, out = guest(image, ["write /huge 2000000 1", "echo still here", "df"])
    res.report("write: /huge: no space" in out, "storage/full-disk-no-space", out[-300:])
    res.report(r.ok and "\nstill here\n" in out, "storage/full-disk-shell-goes-on", r.why)
    ok, report = fsck_clean(image)
    res.report(ok, "storage/full-disk-image-clean", report[-500:])


FULL_MKDIR_CHECKS = ["storage/full-disk-mkdir-no-space", "storage/full-disk-mkdir-nothing-leaked",
                     "storage/full-disk-mkdir-image-clean"]


def full_disk_mkdir(res, tmp):
    """mkdir on a full disk with one block free: the new directory takes
    it, then its name needs a new block of the parent (every root block is
    full of 250-character names) and there is none. What it took goes back."""
    image = os.path.join(tmp, "fullmkdir.img")
    names = {("%03d" % i) + "n" * 247: b"" for i in range(12)}
    names["one"] = b"1" * 1000
    make_image(image, 1024, 1, names)
    r, out = guest(image, ["write /huge 2000000 1", "rm /one", "df", "mkdir /" + "d" * 250, "df"])
    res.report("mkdir: /" + "d" * 250 + ": no space" in out, "storage/full-disk-mkdir-no-space", out[-600:])
    free = re.findall(r"(\d+) KiB free of \d+ KiB; (\d+) of \d+ inodes free", out)
    res.report(r.ok and len(free) == 2 and free[0] == free[1], "storage/full-disk-mkdir-nothing-leaked", str(free))
    ok, report = fsck_clean(image)
    res.report(ok, "storage/full-disk-mkdir-image-clean", report[-500:])


ORPHAN_CHECKS = ["storage/orphan-held-at-power-cut", "storage/orphan-freed-at-next-mount",
                 "storage/orphan-image-clean-after"]


def orphan_at_power_cut(res, tmp):
    """The power goes while a client holds a removed file (run orphaner):
    the next mount frees it from the disk's orphan list."""
    image = os.path.join(tmp, "orphan.img")
    make_image(image, 4096, 8, {"x": b"x"})
    c = system_suite.Console(image, timeout=60)
    try:
        c.p.send("run orphaner\r")
        c.p.expect("orphaner: /orphan removed, still open, synced: ready")
        res.report(True, "storage/orphan-held-at-power-cut")
    except Exception as e:   # noqa: BLE001 - any failure is this check's
        res.report(False, "storage/orphan-held-at-power-cut", repr(e))
    finally:
        c.close()   # the power cut
    r, out = guest(image, ["df"])
    res.report(r.ok and "fs: files removed while open when the file server last stopped: 1 freed" in out,
               "storage/orphan-freed-at-next-mount", out[-600:])
    ok, report = fsck_clean(image)
    res.report(ok, "storage/orphan-image-clean-after", report[-500:])


LIFETIME_CHECKS = ["storage/lifetime-guest-run", "storage/removed-open-file-keeps-its-data",
                   "storage/one-file-past-the-limit-refused", "storage/ended-client-files-closed",
                   "storage/ended-client-removed-file-freed", "storage/lifetime-data-on-disk",
                   "storage/lifetime-e2fsck-clean"]


def file_lifetime(res, tmp):
    """A second client (tests/programs/holder) keeps /log2 open while its
    name goes and /data is written and synced, writes on through it, opens
    files to its limit and ends with them open; twice, so that what the
    first left behind would show in the second."""
    image = os.path.join(tmp, "life.img")
    make_image(image, 4096, 8, {"x": b"x"})
    r, out = guest(image, ["run holder", "df", "run holder", "df"])
    res.report(r.ok, "storage/lifetime-guest-run", r.why)
    runs = re.findall(r"holder: (\d+) checks, (\d+) failed", out)
    res.report(len(runs) == 2 and all(f == "0" for _, f in runs) and "holder: exit status 0 (ok)" in out,
               "storage/removed-open-file-keeps-its-data", out[-1500:])
    res.report(len(runs) == 2 and "one more is refused E_TOO_MANY: failed" not in out,
               "storage/one-file-past-the-limit-refused", out[-800:])
    dfs = re.findall(r"(\d+) of \d+ inodes free.*\nblock requests: .*; (\d+) files open", out)
    res.report(len(dfs) == 2 and all(n == "0" for _, n in dfs), "storage/ended-client-files-closed", out[-800:])
    # the second run makes no new names: a /gone never freed would cost one inode each run
    res.report(len(dfs) == 2 and dfs[0][0] == dfs[1][0], "storage/ended-client-removed-file-freed", str(dfs))
    want = bytes((i * 31 + 7) & 0xFF for i in range(8192))
    res.report(dump(image, "/data") == want and dump(image, "/log2") == b"", "storage/lifetime-data-on-disk")
    ok, report = fsck_clean(image)
    res.report(ok, "storage/lifetime-e2fsck-clean", report[-500:])


REREAD_CHECKS = ["storage/bad-read-seen-once", "storage/bad-read-cured-by-reading-again",
                 "storage/bad-read-again-said", "storage/bad-read-image-clean"]


def reads_done(c):
    stats, seen = c.blockstats()
    return stats.get("rd_operations", 0), seen


def reads_of_ls(image, path):
    """The read requests `ls path` makes after `ls /` on this image."""
    c = MonitoredConsole(image, timeout=60)
    try:
        c.run("ls /")
        r0 = reads_done(c)[0]
        c.run(f"ls {path}")
        return reads_done(c)[0] - r0
    finally:
        c.close()


def bad_read_cured(res, tmp):
    """A block read bad once (the disk gave wrong bytes, then right ones):
    the request that found it corrupt is asked once more, of blocks read
    from the disk again, and the client never sees it. The disk is slowed
    to 2 requests a second; the bad bytes are on the image until the read
    of /dir's block (the last `ls /dir` makes, counted on a good copy)
    has completed, and right again before the file server reads again."""
    image = os.path.join(tmp, "reread.img")
    make_image(image, 1024, 4, {"dir/x": b"x", "dir/y": b"y"})
    k = reads_of_ls(image, "/dir")
    d = int(subprocess.run([DEBUGFS, "-R", "bmap /dir 0", image], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.split()[-1])
    at = d * 1024 + 12 + 4   # the ".." entry's record length
    with open(image, "r+b") as f:
        f.seek(at)
        good = f.read(2)
        f.seek(at)
        f.write(b"\x03\x00")
    c = MonitoredConsole(image, timeout=60)
    restored = None
    try:
        c.run("ls /")
        c.monitor("block_set_io_throttle disk0 0 0 0 2 0 0")
        r0, out = reads_done(c)[0], ""
        c.p.send("ls /dir\r")
        for _ in range(200):
            n, seen = reads_done(c)
            out += seen
            if n - r0 >= k:
                with open(image, "r+b") as f:
                    f.seek(at)
                    f.write(good)
                restored = n - r0
                break
            if re.search(system_suite.PROMPT, seen):
                break   # ls ended before its reads did
        if not re.search(system_suite.PROMPT, out):
            c.expect(system_suite.PROMPT)
            out += c.p.before
        out = out.replace("\r", "")
        res.report(k >= 1 and restored == k, "storage/bad-read-seen-once",
                   f"ls /dir makes {k} reads; the good bytes back after {restored}")
        res.report("\nx\n" in out and "\ny\n" in out and "corrupt" not in out,
                   "storage/bad-read-cured-by-reading-again", out)
        res.report("fs: a block that failed its checks was read again, and was good" in out,
                   "storage/bad-read-again-said", out)
        c.monitor("block_set_io_throttle disk0 0 0 0 0 0 0")
        c.poweroff()
    finally:
        c.close()
    ok, report = fsck_clean(image)
    res.report(ok, "storage/bad-read-image-clean", report[-400:])


def corrupt(res, tmp):
    base = os.path.join(tmp, "base.img")
    make_image(base, 1024, 4, {"file": pattern(5000, 1), "ok": b"fine\n", "dir/x": b"x"})
    image = os.path.join(tmp, "magic.img")
    shutil.copy(base, image)
    with open(image, "r+b") as f:
        f.seek(1024 + 56)
        f.write(b"\0\0")
    r, out = guest(image, ["ls /", "echo alive"])
    res.report(r.ok and "ls: /: corrupt file system" in out and "\nalive\n" in out, "storage/corrupt-bad-magic",
               f"{r.why} {out[-300:]}")
    image = os.path.join(tmp, "pointer.img")
    shutil.copy(base, image)
    subprocess.run([DEBUGFS, "-w", "-R", "sif /file block[2] 99999999", image], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    r, out = guest(image, ["cat /file", "cat /ok", "echo alive"])
    res.report(r.ok and "cat: /file: corrupt file system" in out and "\nfine\n" in out,
               "storage/corrupt-block-pointer", f"{r.why} {out[-300:]}")
    image = os.path.join(tmp, "dirent.img")
    shutil.copy(base, image)
    blocks = subprocess.run([DEBUGFS, "-R", "blocks /dir", image], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL).stdout.split()
    with open(image, "r+b") as f:
        f.seek(int(blocks[0]) * 1024 + 12 + 4)   # the ".." entry's record length
        f.write(b"\x03\x00")
    r, out = guest(image, ["ls /dir", "cat /ok", "echo alive"])
    res.report(r.ok and "ls: /dir: corrupt file system" in out and "\nfine\n" in out and "\nalive\n" in out,
               "storage/corrupt-directory-entry", f"{r.why} {out[-300:]}")
    # found by the image fuzzer: a directory whose size says 2 GiB of holes
    image = os.path.join(tmp, "dirsize.img")
    shutil.copy(base, image)
    subprocess.run([DEBUGFS, "-w", "-R", "sif /dir size 0x7ffffc00", image], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    r, out = guest(image, ["ls /dir", "echo alive"], timeout=60)
    res.report(r.ok and "ls: /dir: corrupt file system" in out and "\nalive\n" in out,
               "storage/corrupt-directory-size", f"{r.why} {out[-300:]}")


FILES_CHECKS = ["files/error-no-such-file", "files/error-not-a-directory", "files/error-directory-not-empty",
                "files/error-name-too-long", "files/error-exists", "files/error-rm-directory", "files/cp",
                "files/stat", "files/df", "files/cd-pwd", "files/ls-l", "files/mv-relative", "files/cd-dotdot",
                "files/on-demand-task-idle", "files/bad-leases-refused-1", "files/bad-leases-refused-2",
                "files/run-refuses-started-task", "files/trailing-slash-file-not-a-directory",
                "files/trailing-slash-creates-no-file", "files/trailing-slash-names-directory",
                "files/long-line-refused-whole", "files/powers-off"]
READ_ONLY_CHECKS = ["files/error-read-only", "files/read-only-still-reads", "files/read-only-powers-off"]


def file_commands(res):
    """The shell's file commands and their errors, typed at the console."""
    disk = system_suite.scratch_disk()
    try:
        c = system_suite.Console(disk)
        res.report("cat: /nosuch: no such file" in c.run("cat /nosuch"), "files/error-no-such-file")
        res.report("cd: /README: not a directory" in c.run("cd /README"), "files/error-not-a-directory")
        c.run("mkdir /d")
        c.run("echo x > /d/f")
        res.report("rmdir: /d: directory not empty" in c.run("rmdir /d"), "files/error-directory-not-empty")
        long = "n" * 300
        res.report(f"echo: /{long}: name too long" in c.run(f"echo x > /{long}"), "files/error-name-too-long")
        res.report("mkdir: /d: already exists" in c.run("mkdir /d"), "files/error-exists")
        res.report("rm: /d: is a directory" in c.run("rm /d"), "files/error-rm-directory")
        c.run("cp /README /copy")
        out = c.run("cksum /README /copy").split("\n")
        res.report(len(out) >= 2 and out[0].split()[:2] == out[1].split()[:2], "files/cp", str(out))
        out = c.run("stat /README")
        mode = os.stat(os.path.join(system_suite.ROOT, "disk", "README")).st_mode & 0o777   # mke2fs -d keeps it
        res.report(re.search(r"/README: inode \d+, file, mode %04o, \d+ bytes, 1 links" % mode, out) is not None,
                   "files/stat", out)
        res.report(re.search(r"block size 4096: \d+ KiB free of 32768 KiB", c.run("df")) is not None, "files/df")
        c.run("cd /d")
        res.report(c.run("pwd") == "/d\n", "files/cd-pwd")
        res.report(re.search(r"^-0644\s+1\s+2 f$", c.run("ls -l"), re.M) is not None, "files/ls-l")
        c.run("mv f g")
        res.report(c.run("cat g") == "x\n" and "no such file" in c.run("cat f"), "files/mv-relative")
        c.run("cd ..")
        res.report(c.run("pwd") == "/\n", "files/cd-dotdot")
        res.report(re.search(r"^fsprobe\s+idle", c.run("ps"), re.M) is not None, "files/on-demand-task-idle")
        for round in (1, 2):   # a described task with start = no runs again and again
            out = c.run("run fsprobe")
            res.report("fsprobe: 15 checks, 0 failed" in out and "fsprobe: exit status 0 (ok)" in out,
                       f"files/bad-leases-refused-{round}", out[-400:])
        res.report("run: shell: already part of the system" in c.run("run shell"), "files/run-refuses-started-task")
        c.run("echo x > /t")
        out = c.run("rm /t/") + c.run("cat /t")
        res.report("rm: /t/: not a directory" in out and out.endswith("x\n"), "files/trailing-slash-file-not-a-directory",
                   out)
        out = c.run("echo y > /new/") + c.run("cat /new")
        res.report("echo: /new/: is a directory" in out and "cat: /new: no such file" in out,
                   "files/trailing-slash-creates-no-file", out)
        res.report(re.search(r"^g$", c.run("ls /d/"), re.M) is not None, "files/trailing-slash-names-directory")
        out = c.run("echo " + "a" * 600 + " > /long") + c.run("cat /long") + c.run("echo still")
        res.report("sh: a line of 613 characters is longer than 510: not run" in out and "cat: /long: no such file" in out
                   and out.endswith("still\n"), "files/long-line-refused-whole", out[-400:])
        r = c.poweroff()
        res.report(r.ok, "files/powers-off", r.why)
    finally:
        os.unlink(disk)


def read_only(res):
    disk = system_suite.scratch_disk()
    try:
        c = system_suite.Console(disk, read_only=True)
        res.report("echo: /f: read-only" in c.run("echo x > /f"), "files/error-read-only")
        res.report("Welcome" in c.run("cat /README"), "files/read-only-still-reads")
        r = c.poweroff()
        res.report(r.ok, "files/read-only-powers-off", r.why)
    finally:
        os.unlink(disk)


def storage_checks(tag):
    return [f"storage/{tag}-{n}" for n in ("guest-run", "e2fsck-clean-after-writes", "written-files-match-debugfs",
                                           "copies-through-leases-match", "append", "truncate", "deep-path",
                                           "rename-across-directories", "other-files-untouched",
                                           "500-files-in-a-dir", "removed-file-gone")]


def storage_suite(res):
    """Each part is a suite of its own: one that stops early (an exception,
    a hang) fails its own checks, by name, and the next goes on."""
    with res.suite("files", FILES_CHECKS) as s:
        file_commands(s)
    with res.suite("files-read-only", READ_ONLY_CHECKS) as s:
        read_only(s)
    host = [f"storage/mke2fs-file-reads-back-{n.replace('/', '-')}" for n in HOST_FILES]
    parts = [(host_files_read_back, ["storage/mke2fs-guest-run"] + host + ["storage/read-only-use-keeps-image-clean"]),
             (lambda s, tmp: guest_writes(s, tmp, 1024), storage_checks("1k")),
             (lambda s, tmp: guest_writes(s, tmp, 4096), storage_checks("4k")),
             (offsets_and_triple_indirect, ["storage/offsets-guest-run", "storage/offsets-e2fsck-clean",
                                            "storage/writes-at-random-offsets", "storage/triple-indirect-and-holes",
                                            "storage/sparse-size"]),
             (file_lifetime, LIFETIME_CHECKS),
             (full_disk_mkdir, FULL_MKDIR_CHECKS),
             (orphan_at_power_cut, ORPHAN_CHECKS),
             (full_disk, ["storage/full-disk-no-space", "storage/full-disk-shell-goes-on",
                          "storage/full-disk-image-clean"]),
             (slow_disk, SLOW_DISK_CHECKS),
             (disk_errors, DISK_ERROR_CHECKS),
             (write_errors, WRITE_ERROR_CHECKS),
             (bad_read_cured, REREAD_CHECKS),
             (corrupt, ["storage/corrupt-bad-magic", "storage/corrupt-block-pointer", "storage/corrupt-directory-entry",
                        "storage/corrupt-directory-size"])]
    for run, checks in parts:
        with tempfile.TemporaryDirectory() as tmp, res.suite("storage", checks) as s:
            run(s, tmp)


class MonitoredConsole(system_suite.Console):
    """A console session whose QEMU monitor (on the same terminal, behind
    ^A c) can throttle the disk while the guest runs."""

    def monitor(self, command):
        self.p.send("\x01c")
        self.p.expect(r"\(qemu\) ")
        self.p.send(command + "\r")
        self.p.expect(r"\(qemu\) ")
        self.p.send("\x01c")

    def blockstats(self):
        """QEMU's counters for the disk ({'rd_operations': N, ...}), and what
        the console printed meanwhile (the two share the terminal)."""
        seen = ""
        for send in ("\x01c", "info blockstats\r"):
            self.p.send(send)
            self.p.expect(r"\(qemu\) ")
            seen += self.p.before
        self.p.send("\x01c")
        line = re.search(r"disk0:([^\n]*)", seen)
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line.group(1) if line else "")}, seen

    def throttle(self, bps):
        """bps bytes a second for the disk (0: not throttled)."""
        self.monitor(f"block_set_io_throttle disk0 {bps} 0 0 0 0 0")


SLOW_DISK_CHECKS = ["storage/slow-disk-read-completes", "storage/stuck-disk-request-fails-named",
                    "storage/stuck-disk-shell-answers", "storage/stuck-disk-driver-still-running",
                    "storage/stuck-disk-reads-after-unthrottle", "storage/stuck-disk-write-after-unthrottle",
                    "storage/stuck-disk-powers-off", "storage/stuck-disk-image-clean"]


def slow_disk(res, tmp):
    """A disk that answers slowly gives slow answers; one that takes longer
    than the driver's deadline (5 s) gets the device reset and the request
    asked once more, then a named error: the system goes on throughout."""
    image = os.path.join(tmp, "slow.img")
    # stuck.bin lies after slow.bin: read-ahead may bring its start along,
    # but never more than the rest of a 64 KiB cluster
    files = {"slow.bin": pattern(8192, 7), "stuck.bin": pattern(256 << 10, 8), "later.bin": pattern(40000, 9)}
    make_image(image, 4096, 8, files)
    c = MonitoredConsole(image, timeout=90)
    try:
        c.throttle(4096)   # a 4 KiB block a second: slow, well inside the deadline
        want = f"{posix_cksum(files['slow.bin'])} 8192 /slow.bin"
        out = c.run("cksum /slow.bin")
        res.report(want in out, "storage/slow-disk-read-completes", out)
        c.throttle(1)   # an hour a block: the device never answers in time
        t0 = time.time()
        out = c.run("cksum /stuck.bin")
        res.report("cksum: /stuck.bin: timeout" in out, "storage/stuck-disk-request-fails-named",
                   f"{out!r} after {time.time() - t0:.0f} s")
        t0 = time.time()
        out = c.run("echo alive")
        took = time.time() - t0
        res.report(out == "alive\n" and took < 5, "storage/stuck-disk-shell-answers", f"{out!r} in {took:.1f} s")
        out = c.run("ps")
        res.report(re.search(r"^virtio-blk\s+running", out, re.M) is not None, "storage/stuck-disk-driver-still-running",
                   out)
        c.throttle(0)
        want = [f"{posix_cksum(files[n])} {len(files[n])} /{n}" for n in ("stuck.bin", "later.bin")]
        out = c.run("cksum /stuck.bin /later.bin")
        res.report(all(w in out for w in want), "storage/stuck-disk-reads-after-unthrottle", out)
        c.run("write /new 30000 11")
        c.run("sync")
        r = c.poweroff()
        res.report(r.ok, "storage/stuck-disk-powers-off", r.why)
    finally:
        c.close()
    res.report(dump(image, "/new") == pattern(30000, 11), "storage/stuck-disk-write-after-unthrottle")
    ok, report = fsck_clean(image)
    res.report(ok, "storage/stuck-disk-image-clean", report[-500:])


DISK_ERROR_CHECKS = ["storage/disk-error-once-retried", "storage/disk-error-lasting-named",
                     "storage/disk-error-shell-goes-on", "storage/disk-error-other-files-read"]
WRITE_ERROR_CHECKS = ["storage/write-error-named", "storage/write-error-shell-goes-on",
                      "storage/write-error-no-block-leaked"]


def write_errors(res, tmp):
    """Every write of one block fails (blkdebug). A change to it stays in
    the cache until a large write needs the room: the write that was
    allocating then fails, named, and what it had taken goes back. The
    rest of the disk is written; e2fsck finds the image clean, but for
    that one block's old bytes, which it cannot see."""
    image = os.path.join(tmp, "werrors.img")
    make_image(image, 4096, 8, {"victim.bin": pattern(4096, 41)})
    victim = int(subprocess.run([DEBUGFS, "-R", "blocks /victim.bin", image], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL).stdout.split()[0])
    config = os.path.join(tmp, "blkdebug.conf")
    with open(config, "w") as f:
        f.write(f'[inject-error]\nevent = "write_aio"\nerrno = "5"\nsector = "{victim * 8}"\n')
    c = system_suite.Console(f"blkdebug:{config}:{image}", timeout=120)
    try:
        c.run("poke /victim.bin 0 changed")
        out = c.run("write /big 3000000 2")
        res.report("write: /big: i/o error" in out, "storage/write-error-named", out)
        c.run("rm /big")
        c.run("sync")
        res.report(c.run("echo alive") == "alive\n", "storage/write-error-shell-goes-on")
    finally:
        c.poweroff()
    ok, report = fsck_clean(image)
    res.report(ok, "storage/write-error-no-block-leaked", report[-600:])


def disk_errors(res, tmp):
    """QEMU's blkdebug makes the disk fail: a read of one file's block once
    (the file server asks again and the client sees nothing), and every read of one file's block (after
    its bounded retries the client gets a named error; the rest goes on)."""
    image = os.path.join(tmp, "errors.img")
    files = {"bad.bin": pattern(40000, 31), "good.bin": pattern(40000, 32)}
    make_image(image, 4096, 8, files)
    def block(name, i):
        return int(subprocess.run([DEBUGFS, "-R", f"blocks /{name}", image], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL).stdout.split()[i])
    config = os.path.join(tmp, "blkdebug.conf")
    with open(config, "w") as f:
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nonce = "on"\nsector = "{block("good.bin", 1) * 8}"\n\n')
        f.write(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{block("bad.bin", 3) * 8}"\n')
    c = system_suite.Console(f"blkdebug:{config}:{image}", timeout=60)
    try:
        out = c.run("cksum /good.bin")
        want = f"{posix_cksum(files['good.bin'])} 40000 /good.bin"
        res.report(want in out, "storage/disk-error-once-retried", out)
        out = c.run("cksum /bad.bin")
        res.report("cksum: /bad.bin: i/o error" in out, "storage/disk-error-lasting-named", out)
        res.report(c.run("echo alive") == "alive\n", "storage/disk-error-shell-goes-on")
        res.report(want in c.run("cksum /good.bin"), "storage/disk-error-other-files-read")
    finally:
        c.close()

