#!/usr/bin/env python3
"""Read system.conf, the system description, and produce what the build
needs from it.

  sysdesc.py system.conf programs        names and source dirs, for Meson
  sysdesc.py system.conf sources DIR     the .c files of one program
  sysdesc.py system.conf table OUT.c OUT.h
                                         the C table the supervisor runs,
                                         and the service numbers for clients
A mistake in the file is reported with its line number."""
import os
import re
import sys

BUILTIN_SERVICES = {"supervisor": 0, "console": 1, "fs": 2, "blk": 3}
FIRST_USER_SERVICE = 4
# The supervisor's restart policy: more than `failures` failures within
# `window` ms leave a task dead. The default lets a task that serves
# between failures fail 10 times a minute and still be restarted.
DEFAULT_FAILURES = 10
DEFAULT_WINDOW = 60000
DEFAULT_BACKOFF = 10   # ms before the second restart in a row; it doubles for each further one
MAX_FAILURES = 32   # the supervisor keeps this many failure times per task
SERVICE_COUNT = 16
KEYS = {"program", "priority", "quota", "stack", "devices", "irqs", "serves", "calls", "timer", "dma", "start", "trace",
        "heartbeat", "failures", "window", "backoff", "reply_within"}


def fail(path, line, msg):
    sys.exit(f"{path}:{line}: {msg}")


def parse(path):
    tasks, extra, cur, section = [], [], None, None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"\[([a-z][a-z0-9_-]{0,14})\]", line)
            if m:
                section = m.group(1)
                if section in ("mm", "init"):
                    fail(path, n, f"'{section}' is always present and cannot be described")
                if section != "image":
                    if any(t["name"] == section for t in tasks):
                        fail(path, n, f"task '{section}' described twice")
                    cur = {"name": section, "line": n, "priority": 100, "quota": 256, "stack": 8,
                           "devices": [], "irqs": [], "serves": None, "calls": [], "timer": False,
                           "dma": False, "start": True, "trace": False,
                           "heartbeat": 0, "failures": DEFAULT_FAILURES, "window": DEFAULT_WINDOW,
                           "backoff": DEFAULT_BACKOFF, "reply_within": 0}
                    tasks.append(cur)
                continue
            m = re.fullmatch(r"([a-z_]+)\s*=\s*(.*)", line)
            if not m or section is None:
                fail(path, n, "expected '[name]' or 'key = value'")
            key, val = m.group(1), m.group(2).strip()
            if section == "image":
                if key != "extra":
                    fail(path, n, "[image] takes only 'extra'")
                extra += val.split()
                continue
            if key not in KEYS:
                fail(path, n, f"unknown key '{key}'")
            try:
                if key in ("priority", "quota", "stack", "heartbeat", "failures", "window", "backoff", "reply_within"):
                    cur[key] = int(val, 0)
                elif key == "devices":   # list keys may be given on several lines
                    cur[key] += [tuple(int(x, 0) for x in d.split(":")) for d in val.split()]
                elif key == "irqs":
                    cur[key] += [int(x, 0) for x in val.split()]
                elif key == "calls":
                    cur[key] += val.split()
                elif key in ("timer", "dma", "start", "trace"):
                    if val not in ("yes", "no", "true", "false", "1", "0"):
                        raise ValueError(val)
                    cur[key] = val in ("yes", "true", "1")
                else:
                    cur[key] = val
            except ValueError:
                fail(path, n, f"bad value for '{key}': {val}")
    check(path, tasks)
    return tasks, extra


def check(path, tasks):
    services = service_numbers(tasks)
    for t in tasks:
        where = t["line"]
        if "program" not in t:
            fail(path, where, f"task '{t['name']}' has no program")
        if not 1 <= t["priority"] <= 254:
            fail(path, where, "priority must be 1..254")
        if not 16 <= t["quota"] <= 65536:
            fail(path, where, "quota must be 16..65536 pages")
        if not 1 <= t["stack"] <= 256:
            fail(path, where, "stack must be 1..256 pages")
        if t["heartbeat"] and not 10 <= t["heartbeat"] <= 60000:
            fail(path, where, "heartbeat must be 10..60000 ms (or absent)")
        if not 1 <= t["failures"] <= MAX_FAILURES:
            fail(path, where, f"failures must be 1..{MAX_FAILURES}")
        if not 100 <= t["window"] <= 3600000:
            fail(path, where, "window must be 100..3600000 ms")
        if not 1 <= t["backoff"] <= 10000:
            fail(path, where, "backoff must be 1..10000 ms")
        if t["reply_within"] and not 10 <= t["reply_within"] <= 600000:
            fail(path, where, "reply_within must be 10..600000 ms (or absent)")
        if t["reply_within"] and not t["serves"]:
            fail(path, where, "reply_within is for a task that serves")
        if t["serves"] and not t["start"]:
            fail(path, where, "a task that serves must start with the system")
        if len(t["irqs"]) > 8 or len(t["devices"]) > 8:
            fail(path, where, "at most 8 irqs and 8 device regions")
        for c in t["calls"]:
            if c != "supervisor" and c not in services:
                fail(path, where, f"'{t['name']}' calls '{c}', which nobody serves")
        for d in t["devices"]:
            if len(d) != 2 or d[0] % 4096 or d[1] <= 0:
                fail(path, where, "devices are PADDR:BYTES with a page-aligned address")


def service_numbers(tasks):
    nums, nxt = {}, FIRST_USER_SERVICE
    for t in tasks:
        s = t["serves"]
        if not s:
            continue
        if s in nums or s in ("supervisor", "mm"):
            sys.exit(f"service '{s}' served twice")
        if s in BUILTIN_SERVICES:
            nums[s] = BUILTIN_SERVICES[s]
        else:
            nums[s], nxt = nxt, nxt + 1
    if nxt > SERVICE_COUNT:
        sys.exit("too many services")
    return nums


def prog_name(p):
    return os.path.basename(p.rstrip("/"))


def write_table(tasks, extra, out_c, out_h):
    nums = service_numbers(tasks)
    with open(out_h, "w") as h:
        h.write("/* Generated from system.conf by tools/sysdesc.py: service numbers. */\n")
        h.write("#ifndef SYSDESC_H\n#define SYSDESC_H\n#include \"../include/abi/process.h\"\n")
        for s, n in sorted(nums.items(), key=lambda x: x[1]):
            if s not in BUILTIN_SERVICES:
                h.write(f"#define SVC_{s.upper().replace('-', '_')} {n}\n")
        h.write("#endif\n")
    with open(out_c, "w") as c:
        c.write("/* Generated from system.conf by tools/sysdesc.py: the system the supervisor builds. */\n")
        c.write('#include "sysdesc_types.h"\n\nconst struct task_desc system_tasks[] = {\n')
        for t in tasks:
            calls = [0 if x == "supervisor" else nums[x] for x in t["calls"] if x != "supervisor"]
            calls_sup = "supervisor" in t["calls"]
            devs = ", ".join(f"{{ {a:#x}, {b:#x} }}" for a, b in t["devices"])
            irqs = ", ".join(str(i) for i in t["irqs"])
            callmask = sum(1 << n for n in calls)
            c.write(f'\t{{ .name = "{t["name"]}", .program = "{prog_name(t["program"])}", '
                    f'.priority = {t["priority"]}, .quota = {t["quota"]}, .stack = {t["stack"]},\n'
                    f'\t  .ndevices = {len(t["devices"])}, .devices = {{ {devs} }}, '
                    f'.nirqs = {len(t["irqs"])}, .irqs = {{ {irqs} }},\n'
                    f'\t  .serves = {nums[t["serves"]] if t["serves"] else -1}, .calls = {callmask:#x}, '
                    f'.calls_supervisor = {int(calls_sup)}, .timer = {int(t["timer"])}, .dma = {int(t["dma"])}, '
                    f'.start = {int(t["start"])}, .trace = {int(t["trace"])},\n'
                    f'\t  .heartbeat_ms = {t["heartbeat"]}, .failures = {t["failures"]}, '
                    f'.window_ms = {t["window"]}, .backoff_ms = {t["backoff"]}, '
                    f'.reply_within_ms = {t["reply_within"]} }},\n')
        c.write("};\n")
        c.write(f"const unsigned system_task_count = {len(tasks)};\n")


def main():
    path, what = sys.argv[1], sys.argv[2]
    tasks, extra = parse(path)
    if what == "programs":
        for p in [t["program"] for t in tasks] + extra:
            print(prog_name(p), p)
    elif what == "sources":
        d = os.path.join(os.path.dirname(os.path.abspath(path)), sys.argv[3])
        for f in sorted(os.listdir(d)):
            if f.endswith(".c"):
                print(os.path.join(sys.argv[3], f))
    elif what == "table":
        write_table(tasks, extra, sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown request '{what}'")


main()
