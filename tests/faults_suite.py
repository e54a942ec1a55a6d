"""The fault injector (servers/init/inject.c, docs/faults.md), driven
through the shell's `inject`: every fault type goes into virtio-blk and is
logged; each logged instruction is checked against the driver's own ELF
(the old bits are what the image holds there) and decoded by objdump (the
new bits are what the type says: a branch inverted, a nop, a jump to
itself...); the injector refuses mm, init and its own client; the same
seed gives the same injections; and a `loop` the driver reaches really
executes: the driver stops answering, the supervisor kills it as hung, and
the read completes from the next instance."""
import os
import re
import struct
import subprocess
import tempfile

import pexpect

import qemu_run
import system_suite
from system_suite import Console

BUILD = qemu_run.BUILD
TYPES = ["flip", "nop", "operand", "branch", "nobranch", "pointer", "register", "data", "heap", "stack", "loop",
         "exit", "wild", "reply", "crash"]
TEXT_TYPES = ["flip", "nop", "operand", "branch", "nobranch", "loop", "reply"]
LINE = re.compile(r"^inject: (\S+) into (\S+) at 0x([0-9a-f]+): 0x([0-9a-f]+) -> 0x([0-9a-f]+) \(seed (\d+)\)"
                  r"(?: in x(\d+))?", re.M)
BRANCH_PAIRS = {"beq": "bne", "blt": "bge", "bltu": "bgeu", "c.beqz": "c.bnez"}
BRANCH_PAIRS.update({v: k for k, v in BRANCH_PAIRS.items()})
MESSAGE_REGS = {"a1", "a2", "a3", "a4", "a5"}

CHECKS = ["faults/usage-lists-types", "faults/mm-refused", "faults/init-refused", "faults/own-client-refused",
          "faults/unknown-task"]
CHECKS += [f"faults/{t}-injected" for t in TYPES]
CHECKS += [f"faults/{t}-bits" for t in TEXT_TYPES]
CHECKS += ["faults/text-old-bits-from-image", "faults/register-bits", "faults/pointer-was-mapped",
           "faults/memory-in-region", "faults/nothing-mapped-refused", "faults/stats-before-activation", "faults/crash-restarts",
           "faults/restart-forgets-breakpoints", "faults/same-seed-same-injections", "faults/exit-exits",
           "faults/dead-task-refused", "faults/full-table-disarms-oldest", "faults/powers-off", "faults/loop-64-injected", "faults/loop-activated", "faults/loop-hangs-driver-read-completes",
           "faults/loop-boot-no-panic", "faults/uart-branch-bits"]


def heap_start(elf):
    """Where mm starts a task's heap: the page after its image."""
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    end = 0
    for i in range(phnum):
        kind, _, _, vaddr, _, _, memsz = struct.unpack_from("<IIQQQQQ", elf, phoff + i * phentsize)
        if kind == 1:
            end = max(end, vaddr + memsz)
    return (end + 4095) & ~4095


def text_section(elf_path):
    """(address, bytes, the whole ELF) of the ELF's .text."""
    with open(elf_path, "rb") as f:
        elf = f.read()
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
    sections = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    strtab = sections[shstrndx]
    for name, _, _, addr, off, size in sections:
        end = elf.index(b"\0", strtab[4] + name)
        if elf[strtab[4] + name:end] == b".text":
            return addr, elf[off:off + size], elf
    raise RuntimeError(f"{elf_path}: no .text")


def disassemble(addr, bits, size):
    """objdump's (mnemonic, [operands]) for the first instruction of the
    size bytes at addr."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(bits.to_bytes(size, "little"))
        f.flush()
        out = subprocess.run(["riscv64-linux-gnu-objdump", "-D", "-b", "binary", "-m", "riscv:rv64", "-M",
                              "no-aliases", f"--adjust-vma={addr:#x}", f.name], stdout=subprocess.PIPE,
                             text=True, check=True).stdout
    m = re.search(r"^\s*%x:\s+[0-9a-f]+\s+(\S+)\s*(\S*)" % addr, out, re.M)
    return (m.group(1), m.group(2).split(",") if m.group(2) else []) if m else ("?", [])


def shots(out, kind=None):
    """Every injection line: dicts of type, task, addr, old, new, seed, reg."""
    found = []
    for m in LINE.finditer(out):
        if kind is None or m.group(1) == kind:
            found.append(dict(type=m.group(1), task=m.group(2), addr=int(m.group(3), 16), old=int(m.group(4), 16),
                              new=int(m.group(5), 16), seed=int(m.group(6)),
                              reg=int(m.group(7)) if m.group(7) else None))
    return found


def size_of(bits):
    return 4 if bits & 3 == 3 else 2


def is_nop(insn):
    """objdump's addi zero,zero,0 or c.nop (c.addi zero,0 without aliases)."""
    return insn in (("addi", ["zero", "zero", "0"]), ("c.addi", ["zero", "0"]), ("c.nop", []))


def bits_right(kind, s):
    """Whether the new bits of one text injection are what its type says;
    the reason if not."""
    old, new, size = s["old"], s["new"], size_of(s["old"])
    o, n = disassemble(s["addr"], old, size), disassemble(s["addr"], new, size)
    if kind == "flip":
        ok = bin(old ^ new).count("1") == 1 and (old ^ new) < 1 << (8 * size)
    elif kind == "nop":
        ok = new == (0x13 if size == 4 else 0x1) and is_nop(n)
    elif kind == "loop":
        ok = new == (0x6f if size == 4 else 0xa001) and n[0] in ("jal", "c.j") and \
            n[1][-1] == hex(s["addr"])
    elif kind == "branch":
        ok = BRANCH_PAIRS.get(o[0]) == n[0] and o[1] == n[1]
    elif kind == "nobranch":
        ok = o[0] in BRANCH_PAIRS and new == (0x13 if size == 4 else 0x1) and is_nop(n)
    elif kind == "operand":
        ok = o[0] == n[0] and len(o[1]) == len(n[1]) and sum(a != b for a, b in zip(o[1], n[1])) == 1
    else:   # reply: the same destination, a message register, another value
        ok = new != old and size_of(new) == size and o[1][:1] == n[1][:1] and o[1][:1] and \
            o[1][0] in MESSAGE_REGS
    return ok, f"{kind} at {s['addr']:#x}: {old:#x} {o} -> {new:#x} {n}"


def check_text(s, out, text):
    base, code, _ = text
    for kind in TEXT_TYPES:
        got = shots(out, kind)
        s.report(len(got) == 3 and all(g["task"] == "virtio-blk" and g["seed"] == 11 for g in got),
                 f"faults/{kind}-injected", out[-600:])
        wrong = [why for ok, why in (bits_right(kind, g) for g in got) if not ok]
        s.report(got and not wrong, f"faults/{kind}-bits", "; ".join(wrong[:3]) or "none injected")
    bad = []
    for g in shots(out):
        if g["type"] in TEXT_TYPES:
            off, size = g["addr"] - base, size_of(g["old"])
            image = int.from_bytes(code[off:off + size], "little") if 0 <= off <= len(code) - size else None
            if image != g["old"]:
                bad.append(f"{g['type']} at {g['addr']:#x}: logged {g['old']:#x}, image "
                           f"{'outside .text' if image is None else hex(image)}")
    s.report(not bad and shots(out), "faults/text-old-bits-from-image", "; ".join(bad[:3]))


def check_registers_and_memory(s, out):
    regs = shots(out, "register")
    s.report(len(regs) == 3, "faults/register-injected", out[-400:])
    s.report(regs and all(1 <= g["reg"] <= 31 and bin(g["old"] ^ g["new"]).count("1") == 1 for g in regs),
             "faults/register-bits", str(regs))
    ptrs = shots(out, "pointer")
    s.report(len(ptrs) == 3, "faults/pointer-injected", out[-400:])
    # an address of the task: image, stack, IPC buffer or DMA buffers
    mapped = [0x10000 <= g["old"] < 0x40003000 or 0x60000000 <= g["old"] < 0x70000000 for g in ptrs]
    s.report(ptrs and all(mapped) and all(bin(g["old"] ^ g["new"]).count("1") == 1 and
                                          (g["old"] ^ g["new"]) < 1 << 32 for g in ptrs),
             "faults/pointer-was-mapped", str(ptrs))
    regions = {"data": (0x10000, 0x40000000), "stack": (0x40000000 - 4 * 4096, 0x40000000),
               "wild": (0x10000, 0x70000000)}
    wrong = []
    for kind, (lo, hi) in regions.items():
        got = shots(out, kind)
        s.report(len(got) == 3, f"faults/{kind}-injected", out[-400:])
        for g in got:
            flipped = bin(g["old"] ^ g["new"]).count("1") == 1
            if not lo <= g["addr"] < hi or g["addr"] % 8 or (kind != "wild" and not flipped):
                wrong.append(f"{kind} at {g['addr']:#x}: {g['old']:#x} -> {g['new']:#x}")
    s.report(not wrong, "faults/memory-in-region", "; ".join(wrong))


def injections(s, c, text):
    """Every type into one idle virtio-blk (nothing reads the disk meanwhile,
    so no breakpoint is reached), then crash, restart and exit."""
    out = c.run("inject virtio-blk bogus")
    s.report("usage" in out and all(t in out for t in TYPES), "faults/usage-lists-types", out)
    s.report("out of the injector's reach" in c.run("inject mm nop"), "faults/mm-refused")
    s.report("out of the injector's reach" in c.run("inject init flip"), "faults/init-refused")
    s.report("illegal operation" in c.run("inject shell nop"), "faults/own-client-refused")
    s.report("no such task" in c.run("inject nosuch nop"), "faults/unknown-task")
    # Text first, figures, then registers and memory: the driver runs for
    # each heartbeat, and a corrupted register or stack may crash it there
    # (a restart forgets what was armed).
    out = "".join(c.run(f"inject virtio-blk {t} 3 11") for t in TEXT_TYPES)
    check_text(s, out, text)
    stats = c.run("inject virtio-blk nop 0")
    m = re.search(r"virtio-blk: (\d+) injected, (\d+) activated, (\d+) armed", stats)
    # a heartbeat may reach an armed site; each then counts once, as activated
    s.report(m is not None and int(m.group(1)) == 3 * len(TEXT_TYPES) and
             int(m.group(2)) + int(m.group(3)) == 3 * len(TEXT_TYPES), "faults/stats-before-activation", stats)
    out = "".join(c.run(f"inject virtio-blk {t} 3 11") for t in ["register", "pointer", "data", "stack", "wild"])
    check_registers_and_memory(s, out)
    # No task of the system allocates on its usual paths; virtio-blk has a
    # heap page only if a fault above made it print (printf's buffer).
    heap = c.run("inject virtio-blk heap 1 11")
    got = shots(heap, "heap")
    s.report(("nothing of that kind" in heap and not got) or
             (len(got) == 1 and heap_start(text[2]) <= got[0]["addr"] < 0x40000000 - 4 * 4096 and
              bin(got[0]["old"] ^ got[0]["new"]).count("1") == 1), "faults/heap-injected", heap)
    none = c.run("inject hello heap 1 11")   # hello never allocates: no heap page is mapped
    s.report("nothing of that kind" in none and not shots(none), "faults/nothing-mapped-refused", none)
    same = c.run("inject fs operand 3 5")
    out = c.run("inject virtio-blk crash")
    c.run("sleep 20")
    s.report(len(shots(out, "crash")) == 1, "faults/crash-injected", out)
    s.report("task virtio-blk crashed: execute fault at pc 0x0" in out and
             "restarting virtio-blk: done" in out, "faults/crash-restarts", out)
    stats = c.run("inject virtio-blk nop 0")
    s.report(re.search(r"virtio-blk: \d+ injected, \d+ activated, 0 armed", stats) is not None,
             "faults/restart-forgets-breakpoints", stats)
    c.run("inject fs crash")
    c.run("sleep 20")
    again = c.run("inject fs operand 3 5")
    key = [(g["addr"], g["old"], g["new"]) for g in shots(same)]
    s.report(len(key) == 3 and key == [(g["addr"], g["old"], g["new"]) for g in shots(again)],
             "faults/same-seed-same-injections", f"{same} / {again}")
    out = c.run("inject virtio-blk exit")
    c.run("sleep 20")
    out += c.run("ps")
    s.report(len(shots(out, "exit")) == 1, "faults/exit-injected", out)
    # a described task that exits is restarted like one that crashed
    s.report("task virtio-blk exited with status 0" in out and "restarting virtio-blk: done" in out and
             re.search(r"^virtio-blk\s+running.*exit@\d+ms", out, re.M) is not None, "faults/exit-exits", out)
    full_table(s, c)
    c.run("kill hello")   # killed, not restarted
    out = c.run("inject hello nop")   # the supervisor finds only running tasks by name
    s.report("no such task" in out and not shots(out), "faults/dead-task-refused", out)
    r = c.poweroff()
    s.report(r.ok, "faults/powers-off", r.why)


def full_table(s, c):
    """More faults than the breakpoint table holds, into idle hello: the
    oldest never reached are taken out first, and injection goes on."""
    out = "".join(c.run(f"inject hello nop 64 {seed}") for seed in range(1, 6))
    armed = [g["addr"] for g in shots(out, "nop")]
    gone = [int(a, 16) for a in re.findall(r"^inject: disarmed nop in hello at 0x([0-9a-f]+): never reached", out,
                                            re.M)]
    stats = c.run("inject hello nop 0")
    m = re.search(r"hello: (\d+) injected, 0 activated, (\d+) armed", stats)
    s.report(len(armed) == 320 and len(gone) >= 320 - 256 and gone == armed[:len(gone)] and m is not None and
             int(m.group(2)) == 320 - len(gone), "faults/full-table-disarms-oldest",
             f"{len(armed)} armed, {len(gone)} disarmed, {stats}")


def loop_boot(s):
    """Loops at many places of virtio-blk, then a read the file server must
    ask the driver for: the driver reaches one, executes the jump to itself
    (not the breakpoint again: that would be a crash) and never answers."""
    disk = system_suite.scratch_disk()
    c = None
    try:
        c = Console(disk)
        out = c.run("inject virtio-blk loop 64 3")
        s.report(len(shots(out, "loop")) == 64, "faults/loop-64-injected", out[-300:])
        c.p.send("cat /docs/hello.txt\r")
        try:
            c.expect(r"inject: activated loop in virtio-blk at 0x[0-9a-f]+")
            s.report(True, "faults/loop-activated")
        except pexpect.TIMEOUT:
            s.report(False, "faults/loop-activated", c.log.getvalue()[-500:])
        # The jump to itself runs (not the breakpoint again, which would be a
        # crash): the driver stops answering heartbeats and starves the tasks
        # below it, is killed as hung (for whichever the supervisor sees
        # first) and restarted, and the file server asks the new instance again.
        with open(os.path.join(system_suite.ROOT, "disk", "docs", "hello.txt")) as f:
            want = f.read().strip()
        try:
            c.p.expect(system_suite.PROMPT, timeout=20)
            got = c.log.getvalue()
        except pexpect.TIMEOUT:
            got = c.log.getvalue() + " [no prompt]"
        s.report("task virtio-blk hung: " in got and "crashed" not in got and
                 "restarting virtio-blk: done" in got and want in got, "faults/loop-hangs-driver-read-completes",
                 got[-500:])
        r = c.close()
        s.report(qemu_run.PANIC.search(r.out) is None, "faults/loop-boot-no-panic", r.out[-300:])
    finally:
        if c:
            c.close()
        os.unlink(disk)


def uart_boot(s):
    """Text faults into the console driver: one command (what it arms may
    break the console for the next), checked against the driver's ELF."""
    text = text_section(os.path.join(BUILD, "servers", "uart"))
    c = Console()
    try:
        out = c.run("inject uart branch 3 13")
        got = shots(out, "branch")
        base, code, _ = text
        wrong = [why for ok, why in (bits_right("branch", g) for g in got) if not ok]
        wrong += [f"{g['addr']:#x}: not the image's bits" for g in got
                  if int.from_bytes(code[g["addr"] - base:g["addr"] - base + size_of(g["old"])], "little") != g["old"]]
        s.report(len(got) == 3 and all(g["task"] == "uart" for g in got) and not wrong, "faults/uart-branch-bits",
                 "; ".join(wrong) or out)
    finally:
        c.close()


def faults_suite(res):
    with res.suite("faults", CHECKS) as s:
        text = text_section(os.path.join(BUILD, "servers", "virtio-blk"))
        disk = system_suite.scratch_disk()
        try:
            c = Console(disk)
            try:
                injections(s, c, text)
            finally:
                c.close()
        finally:
            os.unlink(disk)
        loop_boot(s)
        uart_boot(s)
