#!/usr/bin/env python3
"""Record what the kernel's IPC trace sees while shell commands run, and
draw it (./do.sh trace; docs/tracing.md).

    ipctrace.py [--out FILE] [--png FILE] [--clock instret|time] -- 'cat /README' 'ls /'

Boots the trace build (K4_BUILD, configured -Dtrace=true) under QEMU's
-icount shift=0, types `trace on instret`, then each command as `trace run
CMD` (the shell marks the trace before and after it), then `trace off` and
`trace dump`, and powers off. From the records (include/abi/trace.h):
  FILE (default trace.json)  Chrome trace-event JSON for Perfetto or
                             chrome://tracing: a track per thread, named by
                             task, a slice for each stretch it ran, every
                             message an instant on its sender's track, each
                             Call joined to its reply by a flow arrow, IRQs
                             and faults as instants;
  --png (default FILE.png)   a sequence diagram of the first command's first
                             request to the file server, down to the device
                             and back;
  stdout                     for each command: the time each task ran (and
                             the hart idle), and the messages each pair of
                             tasks exchanged.
Time is instructions retired (exact under -icount) or, with --clock time,
rdtime ticks; the JSON's microseconds are thousands of instructions (or
ticks / 10, the 10 MHz timebase)."""
import argparse
import collections
import json
import os
import re
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import qemu_run  # noqa: E402
import system_suite  # noqa: E402

# include/abi/trace.h
EVENTS = {1: "call", 2: "send", 3: "reply", 4: "fault", 5: "no-reply", 6: "signal", 7: "wake", 8: "irq",
          9: "switch", 10: "name", 11: "mark"}
TRF_FASTPATH, TRF_LEASE = 1, 2
MARK_END = 1 << 31
MESSAGES = ("call", "send", "reply", "fault")
# Which protocol a server's requests follow: its labels get their names.
PROTOCOLS = {"fs": ("fs.h", "fs_label"), "virtio-blk": ("blk.h", "blk_label"),
             "console": ("console.h", "console_label"), "init": ("supervisor.h", "supervisor_label"),
             "root": ("mm.h", "mm_label")}


def label_names():
    """{server: {label: name}} from the protocol enums in include/proto."""
    out = {}
    for server, (header, enum) in PROTOCOLS.items():
        with open(os.path.join(ROOT, "include", "proto", header)) as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        body = re.search(r"enum " + enum + r" \{(.*?)\}", text, re.S)
        names, n = {}, 0
        for item in (body.group(1).split(",") if body else []):
            m = re.match(r"\s*([A-Z_0-9]+)\s*(?:=\s*(\d+))?", item)
            if m:
                n = int(m.group(2)) if m.group(2) else n + 1
                names[n] = m.group(1)
        out[server] = names
    return out


LABELS = label_names()


def label_of(r, names):
    """A request's label by its protocol's name (a call or send to a server)."""
    if r.event in ("call", "send"):
        return LABELS.get(names.get(r.peer), {}).get(r.label, str(r.label))
    return str(r.label)


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


class Record:
    __slots__ = ("t", "badge", "event", "flags", "len", "caps", "label", "thread", "peer", "name")

    def __init__(self, w):
        self.t, self.badge = w[0], w[1]
        self.event = EVENTS.get(w[2] & 0xFF, f"event-{w[2] & 0xFF}")
        self.flags, self.len, self.caps = (w[2] >> 8) & 0xFF, (w[2] >> 16) & 0xFF, (w[2] >> 24) & 0xFF
        self.label = w[2] >> 32
        self.thread, self.peer = w[3] & 0xFFFFFFFF, w[3] >> 32
        self.name = None
        if self.event == "name":
            raw = w[1].to_bytes(8, "little") + (w[2] >> 8).to_bytes(7, "little")
            self.name = raw.split(b"\0")[0].decode(errors="replace")


def parse(out):
    """The records of a `trace dump` and how many the ring wrote over."""
    m = re.search(r"trace: (\d+) records since the start, (\d+) written over", out)
    if not m or "trace: end" not in out:
        raise ValueError("no complete trace dump in the output")
    recs = [Record([int(x, 16) for x in line.split()[2:6]])
            for line in re.findall(r"^trace: r [0-9a-f ]+$", out, re.M)]
    return recs, int(m.group(2))


def names_of(recs):
    names = {0: "kernel (idle)"}
    for r in recs:
        if r.event == "name":
            names[r.thread] = r.name or f"thread {r.thread}"
    return names


def runs(recs):
    """(thread, start, end) for each stretch a thread ran: the hart moves to
    a thread at a switch, and at a fastpath Call or reply (which switches
    without the scheduler)."""
    out, cur, since = [], None, None
    for r in recs:
        to = None
        if r.event == "switch":
            to = r.peer
            if cur is None:
                cur, since = r.thread, recs[0].t
        elif r.event in ("call", "reply") and r.flags & TRF_FASTPATH:
            to = r.peer
            if cur is None:
                cur, since = r.thread, recs[0].t
        if to is not None and to != cur:
            out.append((cur, since, r.t))
            cur, since = to, r.t
    if cur is not None and recs:
        out.append((cur, since, recs[-1].t))
    return out


def windows(recs):
    """{k: (start, end)} of each `trace run`'s command."""
    starts, out = {}, {}
    for r in recs:
        if r.event == "mark" and r.label & MARK_END:
            k = r.label & ~MARK_END
            if k in starts:
                out[k] = (starts[k], r.t)
        elif r.event == "mark":
            starts[r.label] = r.t
    return out


def calls_and_replies(recs):
    """[(call record, its reply or no-reply record, or None)], in order."""
    pending, out = {}, []
    for r in recs:
        if r.event in ("call", "fault"):
            pending[r.thread] = len(out)
            out.append([r, None])
        elif r.event == "reply" and r.peer in pending:
            out[pending.pop(r.peer)][1] = r
        elif r.event == "no-reply" and r.thread in pending:
            out[pending.pop(r.thread)][1] = r
    return [tuple(p) for p in out]


def chrome(recs, dropped, clock):
    """The trace-event JSON (a dict)."""
    names = names_of(recs)
    scale = 1000.0 if clock == "instret" else 10.0
    t0 = recs[0].t if recs else 0

    def us(t):
        return (t - t0) / scale

    ev = [{"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "k4"}}]
    for tid, name in sorted(names.items()):
        ev.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": f"{name} ({tid})"}})
    for tid, a, b in runs(recs):
        ev.append({"name": names.get(tid, str(tid)), "cat": "run", "ph": "X", "pid": 1, "tid": tid,
                   "ts": us(a), "dur": max(us(b) - us(a), 0)})
    for r in recs:
        if r.event in ("name", "switch"):
            continue
        args = {"badge": hex(r.badge), "label": label_of(r, names), "length": r.len, "caps": r.caps,
                "fastpath": bool(r.flags & TRF_FASTPATH), "lease": bool(r.flags & TRF_LEASE)}
        if r.event in MESSAGES:
            args["to"] = names.get(r.peer, str(r.peer))
        name = r.event if r.event not in MESSAGES else f"{r.event} {label_of(r, names)} → {names.get(r.peer, r.peer)}"
        if r.event == "irq":
            name = f"irq {r.label}"
        ev.append({"name": name, "cat": r.event, "ph": "i", "s": "g" if r.event == "irq" else "t", "pid": 1,
                   "tid": r.thread, "ts": us(r.t), "args": args})
    for k, (call, reply) in enumerate(calls_and_replies(recs)):
        if reply is None:
            continue
        ev.append({"name": "call", "cat": "flow", "ph": "s", "id": k, "pid": 1, "tid": call.thread,
                   "ts": us(call.t), "bp": "e"})
        ev.append({"name": "call", "cat": "flow", "ph": "f", "id": k, "pid": 1, "tid": reply.thread,
                   "ts": us(reply.t), "bp": "e"})
    return {"traceEvents": ev, "displayTimeUnit": "ns",
            "otherData": {"clock": clock, "records": len(recs), "dropped": dropped,
                          "microsecond": "1000 instructions" if clock == "instret" else "10 rdtime ticks"}}


def table(recs, commands):
    """Per command: time each task ran, the hart idle, and messages per pair."""
    names, wins, lines = names_of(recs), windows(recs), []
    stretches = runs(recs)
    for k, cmd in enumerate(commands, 1):
        if k not in wins:
            lines.append(f"{cmd}: not in the trace (the ring wrote over it, or it never ran)")
            continue
        a, b = wins[k]
        spent = collections.Counter()
        for tid, s, e in stretches:
            if e > a and s < b:
                spent[names.get(tid, str(tid))] += min(e, b) - max(s, a)
        pairs = collections.defaultdict(collections.Counter)
        for r in recs:
            if a <= r.t <= b and r.event in MESSAGES:
                pairs[(names.get(r.thread, r.thread), r.event, names.get(r.peer, r.peer))][label_of(r, names)] += 1
        irqs = collections.Counter(r.label for r in recs if a <= r.t <= b and r.event == "irq")
        lines.append(f"{cmd}: {b - a} in all")
        for who, n in spent.most_common():
            lines.append(f"  {who:<16} {n:>10}  {100.0 * n / max(b - a, 1):5.1f}%")
        for (f, ev, t), labels in sorted(pairs.items(), key=lambda x: (-sum(x[1].values()), str(x[0]))):
            what = "" if ev == "reply" else " (" + ", ".join(f"{lb} {n}" for lb, n in sorted(labels.items())) + ")"
            lines.append(f"  {f} -> {t}: {plural(sum(labels.values()), ev)}{what}")
        for irq, n in sorted(irqs.items()):
            lines.append(f"  irq {irq}: {n}")
    return "\n".join(lines)


def first_request(recs, client="shell", server="fs"):
    """The records from client's first Call to server up to its reply."""
    names = names_of(recs)
    for call, reply in calls_and_replies(recs):
        if reply and names.get(call.thread) == client and names.get(call.peer) == server:
            return [r for r in recs if call.t <= r.t <= reply.t]
    return []


def sequence_png(recs, path):
    """A sequence diagram of one request (matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names, part = names_of(recs), first_request(recs)
    part = [r for r in part if r.event in MESSAGES + ("irq", "wake")]
    lanes = []
    for r in part:
        for tid in ((r.thread, r.peer) if r.event in MESSAGES else (r.thread,)):
            n = "kernel" if r.event == "irq" else names.get(tid, str(tid))
            if n not in lanes:
                lanes.append(n)
    fig, ax = plt.subplots(figsize=(2 + 1.8 * max(len(lanes), 2), 1.5 + 0.35 * len(part)))
    for i, lane in enumerate(lanes):
        ax.plot([i, i], [0, len(part) + 1], color="0.8", zorder=0)
        ax.text(i, -0.6, lane, ha="center", fontsize=9, weight="bold")
    for y, r in enumerate(part, 1):
        if r.event in MESSAGES:
            a, b = lanes.index(names.get(r.thread, str(r.thread))), lanes.index(names.get(r.peer, str(r.peer)))
            style = "--" if r.event == "reply" else "-"
            ax.annotate("", xy=(b, y), xytext=(a, y), arrowprops={"arrowstyle": "->", "linestyle": style})
            ax.text((a + b) / 2, y - 0.15, f"{r.event} {label_of(r, names) if r.event != 'reply' else ''}"
                    f"{' (fastpath)' if r.flags & TRF_FASTPATH else ''}",
                    ha="center", fontsize=7)
        else:
            x = lanes.index("kernel" if r.event == "irq" else names.get(r.thread, str(r.thread)))
            ax.plot([x], [y], marker="*" if r.event == "irq" else "o", color="C3")
            ax.text(x + 0.08, y, f"irq {r.label}" if r.event == "irq" else "wake", fontsize=7, va="center")
    ax.set_ylim(len(part) + 1, -1)
    ax.set_xlim(-0.8, len(lanes) - 0.2)
    ax.axis("off")
    ax.set_title("the first request of the first command (time goes down)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def record(commands, clock="instret", disk=None, build=None, timeout=120):
    """Boot, trace the commands, dump: (records, dropped, console output)."""
    build = build or qemu_run.BUILD
    own = disk is None
    if own:
        fd, disk = tempfile.mkstemp(suffix=".img")
        os.close(fd)
        shutil.copy(os.path.join(build, "disk.img"), disk)
    args = ["-icount", "shift=0"] if clock == "instret" else []
    c = system_suite.Console(disk, timeout=timeout, build=build, args=args)
    try:
        c.run(f"trace on {clock}")
        for cmd in commands:
            c.run(f"trace run {cmd}")
        c.run("trace off")
        out = c.run("trace dump")
        c.poweroff()
    finally:
        c.close()
        if own:
            os.unlink(disk)
    recs, dropped = parse(out)
    return recs, dropped, out


def main():
    argv = sys.argv[1:]
    commands = argv[argv.index("--") + 1:] if "--" in argv else []
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="trace.json")
    ap.add_argument("--png")
    ap.add_argument("--clock", choices=("instret", "time"), default="instret")
    opts = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if not commands:
        ap.error("name the shell commands to trace after --")
    recs, dropped, out = record(commands, opts.clock)
    if "built without tracing" in out:
        sys.exit("trace: the kernel of this build has no tracing (meson -Dtrace=true)")
    with open(opts.out, "w") as f:
        json.dump(chrome(recs, dropped, opts.clock), f)
    png = opts.png or os.path.splitext(opts.out)[0] + ".png"
    sequence_png(recs, png)
    unit = "instructions" if opts.clock == "instret" else "rdtime ticks"
    print(f"trace: {len(recs)} records ({dropped} written over), in {unit}: {opts.out}, {png}")
    print(table(recs, commands))


if __name__ == "__main__":
    main()
