"""Every boot of every suite goes through here: QEMU runs in its own process
group under a watchdog, and the boot is judged by what it printed *and* how
QEMU ended.

    import qemu_run
    r = qemu_run.boot("kernel-test.elf", timeout=300, quiet=30, expect="ktest: done")
    r.ok          # exit 0, no panic text, not killed, and `expect` printed
    r.why         # if not, why, in a few words: "kernel panic: ...", "silent for 30 s",
                  # "ran past 300 s", "exit 1", "no 'ktest: done'"
    r.code        # QEMU's exit status (None when the watchdog killed it)
    r.out         # everything it printed, stdout and stderr together
    r.panicked    # panic text printed, or the exit status panic() ends QEMU with
    r.timed_out   # killed by the watchdog (r.silent: for printing nothing for `quiet` s)

`boot(image, args, ...)` boots a kernel image of the build folder (K4_BUILD);
`run(cmd, ...)` does the same for any command that ends up running QEMU
(`./do.sh run`), or any other program that needs a watchdog. `input` is
written to the program's stdin. On a timeout the whole process group is
killed, so no QEMU outlives its run. A panicking kernel prints
"KERNEL PANIC: why at file:line" (kernel/printk.c), after "kernel trap: ..."
for a trap in the kernel, and ends QEMU with exit status 3 through the virt
machine's test device."""
import os
import re
import select
import signal
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("K4_BUILD", "build"))
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
PANIC = re.compile(r"KERNEL PANIC[^\n]*|kernel trap[^\n]*")
PANIC_EXIT_STATUS = 3   # kernel/printk.c
POWER_OFF = "kernel: power off"   # what the kernel prints before a clean power-off


def qemu_cmd(image, disk=None, read_only=False, args=(), build=None):
    """QEMU (virt, OpenSBI) running a kernel image of the build folder, with
    a disk image if one is named."""
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic", "-bios", FIRMWARE,
           "-kernel", os.path.join(build or BUILD, image), "-global", "virtio-mmio.force-legacy=false"]
    if disk:
        cmd += ["-drive", f"file={disk},if=none,format=raw,id=disk0{',readonly=on' if read_only else ''}",
                "-device", "virtio-blk-device,drive=disk0"]
    return cmd + list(args)


class Panicked(Exception):
    """The kernel panicked (raised where a session is driven line by line)."""


class Result:
    """How one run ended, and the verdict on it."""

    def __init__(self, code, out, timed_out=False, silent=False, expect=None, limit=0, stopped=None):
        self.code, self.out, self.timed_out, self.silent = code, out, timed_out, silent
        self.stopped = stopped   # why the caller stopped it, if it did
        m = PANIC.search(out)
        self.panic_line = m.group(0).strip() if m else None
        self.panicked = m is not None or code == PANIC_EXIT_STATUS
        self.why = self._judge(expect, limit)
        self.ok = self.why == ""

    def _judge(self, expect, limit):
        if self.panicked:
            return f"kernel panic: {self.panic_line or 'exit status ' + str(self.code)}"
        if self.stopped:
            return f"stopped: {self.stopped}"
        if self.timed_out:
            return f"silent for {limit} s" if self.silent else f"ran past {limit} s"
        if self.code != 0:
            return f"exit {self.code}"
        if expect is not None and expect not in self.out:
            return f"no '{expect}'"
        return ""

    def __repr__(self):
        return f"Result(code={self.code}, ok={self.ok}, why={self.why!r})"


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _feed(stdin, data):
    try:
        stdin.write(data)
    except (BrokenPipeError, OSError):
        pass   # it ended before it read everything
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def run(cmd, input=None, timeout=120, quiet=30, expect=None, env=None, cwd=None, on_output=None):
    """Run cmd in its own process group; kill the group when it runs past
    `timeout` s or prints nothing for `quiet` s; on_output(bytes), if given,
    sees the output as it comes and may stop the run by returning why.
    Returns a Result."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                         env=env, cwd=cwd)
    if input is not None:
        data = input.encode() if isinstance(input, str) else input
        threading.Thread(target=_feed, args=(p.stdin, data), daemon=True).start()
    chunks = []
    start = last = time.monotonic()
    timed_out = silent = eof = False
    stopped = None
    try:
        while not eof:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(p.stdout.fileno(), 65536)
                eof = not chunk
                chunks.append(chunk)
                last = time.monotonic()
                if on_output and chunk:
                    stopped = on_output(chunk)
                    if stopped:
                        break
            now = time.monotonic()
            if now - start > timeout or now - last > quiet:
                timed_out, silent = True, now - start <= timeout
                break
    finally:
        if not eof:   # the watchdog fired, or an exception is on its way up
            kill_group(p.pid)
        try:
            code = p.wait(timeout=quiet)
        except subprocess.TimeoutExpired:   # closed its output but goes on
            kill_group(p.pid)
            code, timed_out = p.wait(), True
        kill_group(p.pid)   # whatever it left behind in its group
        p.stdout.close()
    out = b"".join(chunks).decode(errors="replace")
    return Result(None if timed_out or stopped else code, out, timed_out, silent, expect,
                  quiet if silent else timeout, stopped)


def boot(image, args=(), timeout=120, quiet=30, expect=None, input=None, disk=None, build=None):
    """Boot a kernel image of the build folder in QEMU; returns a Result."""
    return run(qemu_cmd(image, disk=disk, args=args, build=build), input=input, timeout=timeout, quiet=quiet,
               expect=expect)
