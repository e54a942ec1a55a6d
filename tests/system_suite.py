"""The user-level system, driven over the serial console as a person
would: through the shell, with pexpect (typed input) or a pipe."""
import io
import os
import random
import shutil
import tempfile
import re
import time

import pexpect

import qemu_run

ROOT, BUILD = qemu_run.ROOT, qemu_run.BUILD   # K4_BUILD: do.sh sets it per configuration
PROMPT = "k4\\$ "


def qemu_cmd(image="kernel-run.elf", disk=None, read_only=False, build=None):
    """QEMU running a kernel image (of `build`, or the build folder), with
    a disk if one is named."""
    return qemu_run.qemu_cmd(image, disk=disk, read_only=read_only, build=build)


def scratch_disk():
    """A fresh copy of the disk the build makes."""
    fd, path = tempfile.mkstemp(suffix=".img")
    os.close(fd)
    shutil.copy(os.path.join(BUILD, "disk.img"), path)
    return path


def piped(text, timeout=60, args=(), expect=qemu_run.POWER_OFF):
    """Run the system through ./do.sh run with text as piped input (which
    should end in poweroff); a qemu_run.Result, ok when it powered off
    cleanly."""
    return qemu_run.run([os.path.join(ROOT, "do.sh"), "run", *args], input=text, timeout=timeout,
                        quiet=min(timeout, 60), expect=expect)


class Console:
    """A booted system with a person at its console. Every wait also
    watches for a kernel panic (raising qemu_run.Panicked) and for the
    whole session running past `total` s."""

    def __init__(self, disk=None, read_only=False, timeout=20, total=900, image="kernel-run.elf", build=None,
                 args=()):
        self.started = time.time()
        self.deadline = time.monotonic() + total
        self.timeout = timeout
        cmd = qemu_cmd(image, disk=disk, read_only=read_only, build=build) + list(args)
        self.p = pexpect.spawn(cmd[0], cmd[1:], timeout=timeout, encoding="utf-8", codec_errors="replace")
        self.p.logfile_read = self.log = io.StringIO()   # the whole session, for the verdict
        self.result = None
        self.expect(PROMPT)
        self.boot_seconds = time.time() - self.started

    def expect(self, pattern):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise pexpect.TIMEOUT("the console session ran past its total time")
        i = self.p.expect([qemu_run.PANIC, pattern], timeout=min(self.timeout, left))
        if i == 0:
            raise qemu_run.Panicked(self.p.after)
        return i

    def run(self, line):
        """Type a line; return what it printed before the next prompt."""
        self.p.send(line + "\r")
        self.expect(PROMPT)
        out = self.p.before.replace("\r", "")
        return out.split("\n", 1)[1] if "\n" in out else ""

    def poweroff(self, timeout=20):
        """Type poweroff; the qemu_run.Result of the whole session (ok when
        QEMU exited 0 after the kernel's power-off line)."""
        self.p.send("poweroff\r")
        try:
            self.p.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            pass
        return self.close()

    def close(self):
        """End the session, killing QEMU's process group if it still runs;
        the qemu_run.Result of the session (a QEMU still running counts as
        timed out)."""
        if self.result is None:
            running = self.p.isalive()
            qemu_run.kill_group(self.p.pid)
            self.p.close(force=True)
            self.result = qemu_run.Result(None if running else self.p.exitstatus, self.log.getvalue(),
                                          timed_out=running, expect=qemu_run.POWER_OFF, limit=self.timeout)
        return self.result


SHELL_CHECKS = ["system/boots-to-prompt", "shell/help-lists-commands", "shell/echo", "shell/ps-lists-every-task",
                "shell/ps-columns", "shell/mem", "shell/uptime", "shell/sleep", "shell/sleep-waits",
                "shell/unknown-command", "shell/sleep-bad-argument", "shell/kill-usage", "shell/kill-unknown-task",
                "shell/kill-mm-refused", "shell/kill", "shell/ps-shows-killed", "shell/run-unknown",
                "shell/run-described-refused", "shell/read-waits-for-a-line", "shell/backspace",
                "shell/ctrl-c-drops-line", "shell/ctrl-d-ignored", "system/null-dereference-reported",
                "system/crashed-task-dead-in-ps", "system/shell-survives-crash", "system/mm-refuses-over-quota",
                "system/shell-survives-hog", "system/undescribed-program-cannot-reach-uart",
                "system/capability-matrix-no-breach", "system/capability-matrix-rows",
                "system/injected-fault-reported-and-restarted", "system/restarted-fs-serves",
                "system/injected-console-fault-restarted", "system/restarted-console-serves",
                "system/injected-driver-fault-restarted", "system/restarted-driver-serves",
                "system/ps-counts-restarts", "system/inject-self-refused", "system/inject-unknown",
                "system/stack-grows-on-page-faults", "system/dma-needs-description",
                "console/sum-stops-on-ctrl-c", "console/shell-goes-on-after-ctrl-c", "console/ctrl-c-kills-run",
                "console/ctrl-c-stops-sleep",
                "console/second-reader-gets-its-line", "console/shell-reads-after-second-reader",
                "console/ctrl-c-interrupts-waiting-reader", "console/typed-ahead-survives-uart-restart",
                "console/output-not-lost-across-uart-restart", "console/shell-works-after-uart-restarts",
                "console/stalled-terminal-not-blamed",
                "system/powers-off"]


def shell_suite(res):
    with res.suite("system", SHELL_CHECKS) as s:
        disk = scratch_disk()
        try:
            c = Console(disk)
            s.report(True, "system/boots-to-prompt")
            print(f"# boot to prompt: {c.boot_seconds:.2f} s wall (with QEMU start)")
            try:
                shell_commands(s, c)
                line_editing(s, c)
                faults_and_isolation(s, c)
                console_server(s, c)
                r = c.poweroff()
                s.report(r.ok, "system/powers-off", r.why)
            finally:
                c.close()
        finally:
            os.unlink(disk)


def shell_commands(s, c):
    out = c.run("help")
    s.report(all(w in out for w in ["help", "echo", "ps", "mem", "uptime", "kill", "sleep", "poweroff", "run"]),
               "shell/help-lists-commands", out[-200:])
    s.report(c.run("echo hello   world") == "hello world\n", "shell/echo")
    out = c.run("ps")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^(\S+)\s+(running|dead|killed|exited)\s+\d+", out, re.M)}
    want = {"mm", "init", "uart", "virtio-blk", "fs", "shell", "hello"}
    s.report(want <= set(rows) and all(rows[n] == "running" for n in want), "shell/ps-lists-every-task",
               out[-300:])
    s.report(re.search(r"^shell\s+running\s+100\s+\d+\s+0\s+1\s+-$", out, re.M) is not None, "shell/ps-columns", out)
    out = c.run("mem")
    s.report(re.search(r"memory: \d+ KiB free of \d+ KiB", out) is not None and
               re.search(r"^shell\s+\d+\s+2048$", out, re.M) is not None, "shell/mem", out)
    m = re.search(r"up (\d+)\.(\d{3}) s", c.run("uptime"))
    s.report(m is not None, "shell/uptime")
    t0 = int(m.group(1)) * 1000 + int(m.group(2)) if m else 0
    s.report(c.run("sleep 300") == "", "shell/sleep")
    m = re.search(r"up (\d+)\.(\d{3}) s", c.run("uptime"))
    t1 = int(m.group(1)) * 1000 + int(m.group(2)) if m else 0
    s.report(t1 - t0 >= 300, "shell/sleep-waits", f"{t1 - t0} ms passed")
    s.report("unknown command" in c.run("frobnicate"), "shell/unknown-command")
    s.report("usage" in c.run("sleep abc"), "shell/sleep-bad-argument")
    s.report("usage" in c.run("kill"), "shell/kill-usage")
    s.report("no such task" in c.run("kill nosuch"), "shell/kill-unknown-task")
    s.report("illegal operation" in c.run("kill mm"), "shell/kill-mm-refused")
    s.report(c.run("kill hello") == "", "shell/kill")
    s.report(re.search(r"^hello\s+killed", c.run("ps"), re.M) is not None, "shell/ps-shows-killed")
    s.report("no such program" in c.run("run nosuch"), "shell/run-unknown")
    s.report("already part of the system" in c.run("run uart"), "shell/run-described-refused")


def line_editing(s, c):
    c.p.send("read\r")
    c.expect("read\r\n")
    c.p.send("typed later\r")
    c.expect(PROMPT)
    s.report("read: [typed later]" in c.p.before, "shell/read-waits-for-a-line", c.p.before[-200:])
    s.report(c.run("ecx\x7fho fixed") == "fixed\n", "shell/backspace")
    c.p.send("echo never\x03")
    c.expect(PROMPT)
    s.report("^C" in c.p.before and "never\r\n" not in c.p.before.split("^C")[-1], "shell/ctrl-c-drops-line")
    c.p.send("\x04")
    s.report(c.run("echo still here") == "still here\n", "shell/ctrl-d-ignored")


def restarted(out, task):
    """The supervisor's lines for an injected fault in `task`: the crash
    (a jump to address 0) and the restart."""
    return f"task {task} crashed: execute fault at pc 0x0" in out and f"restarting {task}: done" in out


def driver_read_kib(c):
    """KiB the file server has had the block driver read since boot."""
    m = re.search(r"block requests: (\d+) KiB read", c.run("df"))
    return int(m.group(1)) if m else -1


def faults_and_isolation(s, c):
    out = c.run("run crasher")
    s.report(re.search(r"task crasher crashed: read fault at pc 0x[0-9a-f]+, address 0x0", out) is not None,
               "system/null-dereference-reported", out)
    s.report(re.search(r"^crasher\s+dead", c.run("ps"), re.M) is not None, "system/crashed-task-dead-in-ps")
    s.report(c.run("echo alive") == "alive\n", "system/shell-survives-crash")
    out = c.run("run hog")
    s.report("hog: exit status 10 (not enough memory)" in out, "system/mm-refuses-over-quota", out)
    s.report(c.run("echo alive") == "alive\n", "system/shell-survives-hog")
    out = c.run("run intruder")
    s.report("intruder: exit status 3 (empty slot)" in out, "system/undescribed-program-cannot-reach-uart", out)
    out = c.run("audit")
    lines = re.findall(r"^audit: (\S+)\s+memory=(\S+) device=(\S+) irq=(\S+) endpoint=(\S+) power-off=(\S+) "
                       r"trace=(\S+)$",
                       out, re.M)
    s.report({"uart", "virtio-blk", "fs", "shell"} <= {l[0] for l in lines} and
               "audit: 0 breaches" in out and not any("BREACH" in " ".join(l) for l in lines),
               "system/capability-matrix-no-breach", out)
    row = {l[0]: l[1:] for l in lines}
    s.report(row.get("shell") == ("none", "none", "none", "described", "none", "described") and
               row.get("uart", ("",) * 6)[1:3] == ("described", "described") and row.get("fs", ("",) * 6)[5] == "none",
               "system/capability-matrix-rows", out)
    out = c.run("inject fs")
    s.report(restarted(out, "fs"), "system/injected-fault-reported-and-restarted", out)
    s.report("Welcome" in c.run("cat /README"), "system/restarted-fs-serves")
    out = c.run("inject uart")
    s.report(restarted(out, "uart"), "system/injected-console-fault-restarted", out)
    s.report(c.run("echo console back") == "console back\n", "system/restarted-console-serves", out)
    out = c.run("inject virtio-blk")
    c.run("sleep 20")
    s.report(restarted(out, "virtio-blk"), "system/injected-driver-fault-restarted", out)
    # a file this boot has not read: the restarted driver must fetch it
    # (unless read-ahead brought it with a neighbour: the file server's
    # count of what the driver read says)
    with open(os.path.join(ROOT, "disk", "docs", "hello.txt")) as f:
        want = f.read()
    before = driver_read_kib(c)
    got = c.run("cat /docs/hello.txt")
    fetched = driver_read_kib(c) > before
    s.report(got == want and fetched, "system/restarted-driver-serves",
             f"{got!r}, want {want!r}; through the driver: {fetched}; {out}")
    out = c.run("ps")
    s.report(re.search(r"^fs\s+running\s+150\s+\d+\s+1\s+2\s+crash@\d+ms$", out, re.M) is not None and
               re.search(r"^uart\s+running\s+200\s+\d+\s+1\s+2\s+crash@\d+ms$", out, re.M) is not None, "system/ps-counts-restarts", out)
    s.report("illegal operation" in c.run("inject shell"), "system/inject-self-refused")
    s.report("no such task" in c.run("inject nosuch"), "system/inject-unknown")
    out = c.run("run stack")
    s.report("stack: exit status 0 (ok)" in out, "system/stack-grows-on-page-faults", out)
    out = c.run("run dmacheck")
    s.report("dmacheck: exit status 7 (no rights)" in out, "system/dma-needs-description", out)


def ctrl_c(c):
    """^C, then what the console printed up to the next prompt (at most 5 s)."""
    c.p.send("\x03")
    try:
        c.p.expect(PROMPT, timeout=5)
        return c.p.before
    except pexpect.TIMEOUT:
        return c.log.getvalue()[-300:] + " [no prompt]"


def console_server(s, c):
    """The console server apart from the UART driver: ^C, a second reader,
    and UART restarts that lose neither typed input nor output."""
    c.p.send("sum 100000\r")
    c.expect("sum 100000\r\n")
    c.p.send("abc")
    time.sleep(0.3)
    c.p.send("\x03")
    c.expect(PROMPT)
    s.report("sum: interrupted" in c.p.before, "console/sum-stops-on-ctrl-c", c.p.before[-200:])
    s.report(c.run("echo after sum") == "after sum\n", "console/shell-goes-on-after-ctrl-c")
    # ^C with no reader waiting: the console server tells the supervisor,
    # which kills what `run` started and interrupts the shell's sleep
    c.p.send("run spin\r")
    c.expect("run spin\r\n")
    time.sleep(0.5)
    got = ctrl_c(c)
    s.report("spin: killed" in got, "console/ctrl-c-kills-run", got[-200:])
    c.p.send("sleep 60000\r")
    c.expect("sleep 60000\r\n")
    time.sleep(0.3)
    t0 = time.monotonic()
    got = ctrl_c(c)
    s.report("sleep: interrupted" in got and time.monotonic() - t0 < 5, "console/ctrl-c-stops-sleep", got[-200:])
    c.p.send("run conreader\r")
    c.expect("conreader: waiting")
    c.p.send("for the reader\r")
    c.expect(PROMPT)
    s.report("conreader: [for the reader]" in c.p.before and "exit status 0" in c.p.before,
             "console/second-reader-gets-its-line", c.p.before[-200:])
    s.report(c.run("echo shell reads") == "shell reads\n", "console/shell-reads-after-second-reader")
    c.p.send("run conreader\r")
    c.expect("conreader: waiting")
    c.p.send("\x03")
    c.expect(PROMPT)
    s.report("conreader: interrupted" in c.p.before and "exit status 1" in c.p.before,
             "console/ctrl-c-interrupts-waiting-reader", c.p.before[-200:])
    # typed before the driver dies, read after it is back
    c.p.send("inject uart\recho typed ahead\r")
    c.expect("\ntyped ahead\r\n")
    c.expect(PROMPT)
    s.report(restarted(c.log.getvalue()[-2000:], "uart"), "console/typed-ahead-survives-uart-restart",
             c.log.getvalue()[-500:])
    # the driver dies with output of cat still to write: all of it comes (some may twice)
    with open(os.path.join(ROOT, "disk", "README")) as f:
        want = [l for l in f.read().split("\n") if l.strip()]
    mark = len(c.log.getvalue())
    c.p.send("cat /README\rinject uart\r")
    c.expect("restarting uart")
    c.expect(PROMPT)
    got = c.log.getvalue()[mark:].replace("\r", "")
    missing = [l for l in want if l not in got]
    s.report(not missing, "console/output-not-lost-across-uart-restart", f"missing {missing[:3]}")
    s.report(c.run("echo still here") == "still here\n", "console/shell-works-after-uart-restarts")
    stalled_terminal(s, c)


def stalled_terminal(s, c):
    """Nobody reads the terminal for 5 s while 300,000 bytes are on their
    way: QEMU's UART stops taking output. The driver is waiting on the
    device, not hung: it must say so to the console server (an XFER at
    each heartbeat), or the server reports it quiet and it is restarted."""
    c.run("write /stall.bin 300000 5")
    mark = len(c.log.getvalue())
    c.p.send("cat /stall.bin\r")
    time.sleep(5)
    c.timeout, was = 60, c.timeout
    c.expect(PROMPT)
    c.timeout = was
    got = c.log.getvalue()[mark:]
    s.report("task uart" not in got and "restarting uart" not in got and c.run("echo read again") == "read again\n",
             "console/stalled-terminal-not-blamed", got[-300:] if "task uart" in got else "")


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


PIPED_CHECKS = ["piped/exits-0", "piped/help-and-ps", "piped/console-read-line", "piped/64KiB-input-intact",
                "piped/input-after-burst"]


def piped_suite(res):
    """./do.sh run with piped input; every run must also power off cleanly."""
    with res.suite("piped", PIPED_CHECKS) as s:
        r = piped("help\nps\npoweroff\n")
        s.report(r.ok, "piped/exits-0", r.why)
        s.report("list the commands" in r.out and re.search(r"^uart\s+running", r.out, re.M) is not None,
                 "piped/help-and-ps", r.out[-500:])
        r = piped("read\nfirst line, whole\necho next\npoweroff\n")
        s.report(r.ok and "read: [first line, whole]" in r.out and "\nnext\n" in r.out.replace("\r", ""),
                 "piped/console-read-line", f"{r.why} {r.out[-300:]}")
        rnd = random.Random(4)
        data = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789 .,") for _ in range(65536))
        t0 = time.time()
        r = piped(f"sum 65536\n{data}echo after\npoweroff\n", timeout=120)
        m = re.search(r"sum: (\d+) bytes, fnv1a 0x([0-9a-f]{8})", r.out)
        ok = m is not None and int(m.group(1)) == 65536 and int(m.group(2), 16) == fnv1a(data.encode())
        s.report(ok, "piped/64KiB-input-intact", (m.group(0) if m else r.out[-300:]) +
                 f" want 0x{fnv1a(data.encode()):08x}")
        s.report(r.ok and "\nafter\n" in r.out.replace("\r", ""), "piped/input-after-burst", r.why)
        print(f"# 64 KiB piped input: {time.time() - t0:.1f} s")
