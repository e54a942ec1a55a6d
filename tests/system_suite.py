"""The user-level system, driven over the serial console as a person
would: through the shell, with pexpect (typed input) or a pipe."""
import os
import random
import shutil
import tempfile
import re
import subprocess
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("K4_BUILD", "build"))   # do.sh sets it per configuration
PROMPT = "k4\\$ "


def qemu_cmd(image="kernel-run.elf", disk=None, read_only=False):
    """QEMU running a kernel image, with a disk if one is named."""
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic", "-bios",
           "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
           "-kernel", os.path.join(BUILD, image), "-global", "virtio-mmio.force-legacy=false"]
    if disk:
        cmd += ["-drive", f"file={disk},if=none,format=raw,id=disk0{',readonly=on' if read_only else ''}",
                "-device", "virtio-blk-device,drive=disk0"]
    return cmd


def scratch_disk():
    """A fresh copy of the disk the build makes."""
    fd, path = tempfile.mkstemp(suffix=".img")
    os.close(fd)
    shutil.copy(os.path.join(BUILD, "disk.img"), path)
    return path


def piped(text, timeout=60, args=()):
    """Run the system through ./do.sh run with text as piped input."""
    p = subprocess.run([os.path.join(ROOT, "do.sh"), "run", *args], input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


class Console:
    """A booted system with a person at its console."""

    def __init__(self, disk=None, read_only=False):
        self.started = time.time()
        cmd = qemu_cmd(disk=disk, read_only=read_only)
        self.p = pexpect.spawn(cmd[0], cmd[1:], timeout=20, encoding="utf-8", codec_errors="replace")
        self.p.expect(PROMPT)
        self.boot_seconds = time.time() - self.started

    def run(self, line):
        """Type a line; return what it printed before the next prompt."""
        self.p.send(line + "\r")
        self.p.expect(PROMPT)
        out = self.p.before.replace("\r", "")
        return out.split("\n", 1)[1] if "\n" in out else ""

    def close(self):
        self.p.terminate(force=True)


def shell_suite(res):
    disk = scratch_disk()
    try:
        c = Console(disk)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        res.report(False, "system/boots-to-prompt", str(e).splitlines()[0])
        return
    res.report(True, "system/boots-to-prompt", "")
    print(f"# boot to prompt: {c.boot_seconds:.2f} s wall (with QEMU start)")
    try:
        shell_commands(res, c)
        line_editing(res, c)
        faults_and_isolation(res, c)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        res.report(False, "system/shell-answers", "no prompt: " + str(e).splitlines()[0])
    finally:
        c.close()
        os.unlink(disk)


def shell_commands(res, c):
    out = c.run("help")
    res.report(all(w in out for w in ["help", "echo", "ps", "mem", "uptime", "kill", "sleep", "poweroff", "run"]),
               "shell/help-lists-commands", out[-200:])
    res.report(c.run("echo hello   world") == "hello world\n", "shell/echo")
    out = c.run("ps")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^(\S+)\s+(running|dead|killed|exited)\s+\d+", out, re.M)}
    want = {"mm", "init", "uart", "virtio-blk", "fs", "shell", "hello"}
    res.report(want <= set(rows) and all(rows[n] == "running" for n in want), "shell/ps-lists-every-task",
               out[-300:])
    res.report(re.search(r"^shell\s+running\s+100\s+\d+\s+0$", out, re.M) is not None, "shell/ps-columns", out)
    out = c.run("mem")
    res.report(re.search(r"memory: \d+ KiB free of \d+ KiB", out) is not None and
               re.search(r"^shell\s+\d+\s+2048$", out, re.M) is not None, "shell/mem", out)
    m = re.search(r"up (\d+)\.(\d{3}) s", c.run("uptime"))
    res.report(m is not None, "shell/uptime")
    t0 = int(m.group(1)) * 1000 + int(m.group(2)) if m else 0
    res.report(c.run("sleep 300") == "", "shell/sleep")
    m = re.search(r"up (\d+)\.(\d{3}) s", c.run("uptime"))
    t1 = int(m.group(1)) * 1000 + int(m.group(2)) if m else 0
    res.report(t1 - t0 >= 300, "shell/sleep-waits", f"{t1 - t0} ms passed")
    res.report("unknown command" in c.run("frobnicate"), "shell/unknown-command")
    res.report("usage" in c.run("sleep abc"), "shell/sleep-bad-argument")
    res.report("usage" in c.run("kill"), "shell/kill-usage")
    res.report("no such task" in c.run("kill nosuch"), "shell/kill-unknown-task")
    res.report("illegal operation" in c.run("kill mm"), "shell/kill-mm-refused")
    res.report(c.run("kill hello") == "", "shell/kill")
    res.report(re.search(r"^hello\s+killed", c.run("ps"), re.M) is not None, "shell/ps-shows-killed")
    res.report("no such program" in c.run("run nosuch"), "shell/run-unknown")
    res.report("already part of the system" in c.run("run uart"), "shell/run-described-refused")


def line_editing(res, c):
    c.p.send("read\r")
    c.p.expect("read\r\n")
    c.p.send("typed later\r")
    c.p.expect(PROMPT)
    res.report("read: [typed later]" in c.p.before, "shell/read-waits-for-a-line", c.p.before[-200:])
    res.report(c.run("ecx\x7fho fixed") == "fixed\n", "shell/backspace")
    c.p.send("echo never\x03")
    c.p.expect(PROMPT)
    res.report("^C" in c.p.before and "never\r\n" not in c.p.before.split("^C")[-1], "shell/ctrl-c-drops-line")
    c.p.send("\x04")
    res.report(c.run("echo still here") == "still here\n", "shell/ctrl-d-ignored")


def faults_and_isolation(res, c):
    out = c.run("run crasher")
    res.report(re.search(r"task crasher crashed: read fault at pc 0x[0-9a-f]+, address 0x0", out) is not None,
               "system/null-dereference-reported", out)
    res.report(re.search(r"^crasher\s+dead", c.run("ps"), re.M) is not None, "system/crashed-task-dead-in-ps")
    res.report(c.run("echo alive") == "alive\n", "system/shell-survives-crash")
    out = c.run("run hog")
    res.report("hog: exit status 10 (not enough memory)" in out, "system/mm-refuses-over-quota", out)
    res.report(c.run("echo alive") == "alive\n", "system/shell-survives-hog")
    out = c.run("run intruder")
    res.report("intruder: exit status 3 (empty slot)" in out, "system/undescribed-program-cannot-reach-uart", out)
    out = c.run("audit")
    lines = re.findall(r"^audit: (\S+)\s+memory=(\S+) device=(\S+) irq=(\S+) endpoint=(\S+) power-off=(\S+)$",
                       out, re.M)
    res.report({"uart", "virtio-blk", "fs", "shell"} <= {l[0] for l in lines} and
               "audit: 0 breaches" in out and not any("BREACH" in " ".join(l) for l in lines),
               "system/capability-matrix-no-breach", out)
    row = {l[0]: l[1:] for l in lines}
    res.report(row.get("shell") == ("none", "none", "none", "described", "none") and
               row.get("uart", ("",) * 5)[1:3] == ("described", "described"), "system/capability-matrix-rows", out)
    out = c.run("inject fs")
    res.report("task fs crashed: execute fault at pc 0x0" in out and "restarting fs: done" in out,
               "system/injected-fault-reported-and-restarted", out)
    res.report("Welcome" in c.run("cat /README"), "system/restarted-fs-serves")
    out = c.run("inject uart")
    res.report(c.run("echo console back") == "console back\n", "system/restarted-console-serves", out)
    out = c.run("inject virtio-blk")
    c.run("sleep 20")
    res.report("Welcome" in c.run("cat /README"), "system/restarted-driver-serves", out)
    out = c.run("ps")
    res.report(re.search(r"^fs\s+running\s+150\s+\d+\s+1$", out, re.M) is not None and
               re.search(r"^uart\s+running\s+200\s+\d+\s+1$", out, re.M) is not None, "system/ps-counts-restarts", out)
    res.report("illegal operation" in c.run("inject shell"), "system/inject-self-refused")
    res.report("no such task" in c.run("inject nosuch"), "system/inject-unknown")
    out = c.run("run stack")
    res.report("stack: exit status 0 (ok)" in out, "system/stack-grows-on-page-faults", out)
    out = c.run("run dmacheck")
    res.report("dmacheck: exit status 7 (no rights)" in out, "system/dma-needs-description", out)


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def piped_suite(res):
    code, out = piped("help\nps\npoweroff\n")
    res.report(code == 0, "piped/exits-0", f"exit {code}")
    res.report("list the commands" in out and re.search(r"^uart\s+running", out, re.M) is not None,
               "piped/help-and-ps", out[-500:])
    rnd = random.Random(4)
    data = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789 .,") for _ in range(65536))
    t0 = time.time()
    code, out = piped("read\nfirst line, whole\necho next\npoweroff\n")
    res.report("read: [first line, whole]" in out and "\nnext\n" in out.replace("\r", ""),
               "piped/console-read-line", out[-300:])
    code, out = piped(f"sum 65536\n{data}echo after\npoweroff\n", timeout=120)
    m = re.search(r"sum: (\d+) bytes, fnv1a 0x([0-9a-f]{8})", out)
    ok = m is not None and int(m.group(1)) == 65536 and int(m.group(2), 16) == fnv1a(data.encode())
    res.report(ok, "piped/64KiB-input-intact", (m.group(0) if m else out[-300:]) +
               f" want 0x{fnv1a(data.encode()):08x}")
    res.report("\nafter\n" in out.replace("\r", ""), "piped/input-after-burst")
    print(f"# 64 KiB piped input: {time.time() - t0:.1f} s")
