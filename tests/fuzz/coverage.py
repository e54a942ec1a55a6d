"""Kernel coverage of a fuzz run, from the bitmap the kernel prints
(kernel/coverage.c) and the instrumented kernel image itself.

Every basic block of an instrumented kernel file starts with a call to
__sanitizer_cov_trace_pc; the kernel records the call's return address. The
disassembly (objdump -d -l) gives every instruction's source line and every
trace call: an instruction belongs to the block of the last trace call at or
before it in its function (the prologue, before the first, to the first). A
source line has code if an instruction comes from it; it was reached if one
of its instructions' blocks was.

Only kernel/*.c counts, less what a syscall fuzzer cannot reach by design:
the boot-only files, the panic and power-off paths (listed in EXCLUDED)."""
import collections
import os
import re
import subprocess

OBJDUMP = "riscv64-linux-gnu-objdump"
TRACE = "__sanitizer_cov_trace_pc"

# What is left out, and why (docs/fuzzing.md lists the same).
EXCLUDED_FILES = {
    "boot.c": "boot only: builds the root task once",
    "fdt.c": "boot only: reads the device tree once",
    "main.c": "boot only: kmain",
    "coverage.c": "the coverage recorder itself (not instrumented)",
}
EXCLUDED_FUNCTIONS = {
    "panic": "a panic ends the run", "finisher_fail": "a panic ends the run",
    "kernel_fault": "a trap in the kernel is a panic", "sbi_shutdown": "power-off ends the run",
    "plic_init": "boot only", "timer_start": "boot only",
}
# Source lines matched by their text, by file ("*": any): the power-off
# invocation, and every call of panic().
EXCLUDED_LINES = {"syscall.c": [r"case SYSTEM_POWER_OFF", r"power off\\n", r"sbi_shutdown\(\)"],
                  "*": [r"\bpanic\("]}

LINE = re.compile(r"^(/\S+\.[chS]):(\d+)")
FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")


def disassemble(elf):
    """[(addr, function, file, line, is_trace_call, length)] in address order."""
    out = subprocess.run([OBJDUMP, "-d", "-l", "--no-show-raw-insn", elf], stdout=subprocess.PIPE,
                         check=True).stdout.decode(errors="replace")
    insns, func, loc = [], None, (None, 0)
    for text in out.splitlines():
        m = FUNC.match(text)
        if m:
            func, loc = m.group(2), (None, 0)
            continue
        m = LINE.match(text)
        if m:
            loc = (m.group(1), int(m.group(2)))
            continue
        m = INSN.match(text)
        if m and func:
            op, rest = m.group(2), m.group(3)
            is_trace = f"<{TRACE}>" in rest and op in ("jal", "jalr", "call")
            insns.append([int(m.group(1), 16), func, loc[0], loc[1], is_trace, 0])
    for i, ins in enumerate(insns):   # lengths from the next address (2 or 4 bytes)
        ins[5] = insns[i + 1][0] - ins[0] if i + 1 < len(insns) else 4
    return insns


def reached_return_addresses(text):
    """The return addresses in the kernel's kcov lines."""
    m = re.search(r"kcov: base ([0-9a-f]+)", text)
    if not m:
        return set()
    base, pcs = int(m.group(1), 16), set()
    for word, bits in re.findall(r"kcov: ([0-9a-f]+) ([0-9a-f]+)$", text, re.M):
        w, b = int(word, 16), int(bits, 16)
        for i in range(64):
            if b >> i & 1:
                pcs.add(base + 2 * (w * 64 + i))
    return pcs


def excluded_line(path, line, source_cache):
    pats = EXCLUDED_LINES.get(os.path.basename(path), []) + EXCLUDED_LINES["*"]
    src = source_cache.setdefault(path, open(path, errors="replace").read().splitlines())
    return 0 < line <= len(src) and any(re.search(p, src[line - 1]) for p in pats)


def analyse(elf, text, kernel_dir):
    """Per file under kernel_dir: lines with code, lines reached, blocks, blocks
    reached; and the marks for the annotated report."""
    insns = disassemble(elf)
    reached_ra = reached_return_addresses(text)
    block_of, sites = {}, {}
    first_site = {}
    for ins in insns:   # the trace site of each function's first block
        if ins[4] and ins[1] not in first_site:
            first_site[ins[1]] = ins[0]
    current = {}
    for ins in insns:
        addr, func = ins[0], ins[1]
        if ins[4]:
            current[func] = addr
            sites[addr] = (addr + ins[5]) in reached_ra
        block_of[addr] = current.get(func, first_site.get(func))
    kernel_dir = os.path.realpath(kernel_dir)
    files = collections.defaultdict(lambda: {"code": set(), "reached": set(), "excluded": set(),
                                             "blocks": set(), "blocks_reached": set()})
    cache = {}
    for ins in insns:
        addr, func, path, line = ins[0], ins[1], ins[2], ins[3]
        if not path or os.path.dirname(os.path.realpath(path)) != kernel_dir or not path.endswith(".c"):
            continue
        name = os.path.basename(path)
        f = files[name]
        f["path"] = path
        if name in EXCLUDED_FILES or func in EXCLUDED_FUNCTIONS or excluded_line(path, line, cache):
            f["excluded"].add(line)
            continue
        f["code"].add(line)
        site = block_of.get(addr)
        if site is not None and sites.get(site):
            f["reached"].add(line)
        if ins[4]:
            f["blocks"].add(addr)
            if sites.get(addr):
                f["blocks_reached"].add(addr)
    for f in files.values():   # a line with counted code is not excluded
        f["excluded"] -= f["code"]
    return files


def summary(files):
    """{'files': {name: {...}}, 'lines', 'lines_reached', 'kernel_line_coverage', ...}"""
    rows, lines, reached, blocks, breached = {}, 0, 0, 0, 0
    for name in sorted(files):
        f = files[name]
        if name in EXCLUDED_FILES or not f["code"]:
            continue
        n, r, b, br = len(f["code"]), len(f["reached"]), len(f["blocks"]), len(f["blocks_reached"])
        rows[name] = {"lines": n, "lines_reached": r, "line_coverage": round(100.0 * r / n, 1),
                      "blocks": b, "blocks_reached": br,
                      "block_coverage": round(100.0 * br / b, 1) if b else 0.0}
        lines, reached, blocks, breached = lines + n, reached + r, blocks + b, breached + br
    return {"files": rows, "lines": lines, "lines_reached": reached,
            "kernel_line_coverage": round(100.0 * reached / lines, 1) if lines else 0.0,
            "blocks": blocks, "blocks_reached": breached,
            "kernel_block_coverage": round(100.0 * breached / blocks, 1) if blocks else 0.0,
            "excluded_files": EXCLUDED_FILES, "excluded_functions": EXCLUDED_FUNCTIONS}


def annotate(files, out_dir):
    """out_dir/NAME.c.txt per file: each source line marked
    '+' reached, '-' code never reached, 'x' left out, ' ' no code."""
    os.makedirs(out_dir, exist_ok=True)
    for name, f in files.items():
        if "path" not in f:
            continue
        with open(f["path"], errors="replace") as src, open(os.path.join(out_dir, name + ".txt"), "w") as out:
            for i, text in enumerate(src.read().splitlines(), 1):
                mark = ("x" if name in EXCLUDED_FILES or i in f["excluded"] else
                        "+" if i in f["reached"] else "-" if i in f["code"] else " ")
                out.write(f"{mark} {i:5} {text}\n")
