"""The kernel's IPC trace (kernel/trace.c, tools/ipctrace.py) on the trace
build (K4_BUILD-trace, -Dtrace=true): the shell's commands traced under
-icount, the dump complete, the Chrome JSON well formed, every call
answered, the messages of `cat /README` the ones the protocols imply, a
ring that went round says how much it lost; and the default build, which
has no tracing, says so."""
import json
import os
import sys
import tempfile

import qemu_run
import system_suite

sys.path.insert(0, os.path.join(qemu_run.ROOT, "tools"))
import ipctrace  # noqa: E402

TRACE_BUILD = qemu_run.BUILD + "-trace"
CHECKS = ["trace/default-build-says-no-tracing", "trace/dump-complete", "trace/every-thread-named",
          "trace/json-trace-event-format", "trace/flows-pair-calls-and-replies", "trace/every-call-answered",
          "trace/cat-readme-shell-to-fs", "trace/cat-readme-fs-to-virtio-blk", "trace/cat-readme-irqs",
          "trace/fastpath-flagged", "trace/sequence-diagram-drawn", "trace/wrapped-ring-says-written-over",
          "trace/wrapped-ring-table-says-so"]
PHASES = {"X", "i", "s", "f", "M"}


def event_format(doc):
    """What breaks the trace-event format (the keys each phase needs)."""
    bad = []
    for e in doc.get("traceEvents", [None]):
        if not isinstance(e, dict) or e.get("ph") not in PHASES or not isinstance(e.get("name"), str):
            bad.append(e)
        elif e["ph"] != "M" and (not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0
                                 or not isinstance(e.get("tid"), int) or e.get("pid") != 1):
            bad.append(e)
        elif e["ph"] == "X" and not (isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0):
            bad.append(e)
        elif e["ph"] in ("s", "f") and "id" not in e:
            bad.append(e)
    return bad


def in_window(recs, k):
    a, b = ipctrace.windows(recs)[k]
    return [r for r in recs if a <= r.t <= b]


def traced(s, tmp):
    recs, dropped, out = ipctrace.record(["cat /README", "ls /"], build=TRACE_BUILD)
    names = ipctrace.names_of(recs)
    s.report(recs and dropped == 0 and set(ipctrace.windows(recs)) == {1, 2}, "trace/dump-complete",
             f"{len(recs)} records, {dropped} written over, windows {ipctrace.windows(recs)}")
    tids = {r.thread for r in recs if r.thread} | {r.peer for r in recs if r.peer and r.event != "irq"}
    s.report(tids <= set(names), "trace/every-thread-named", f"unnamed: {sorted(tids - set(names))}")
    doc = json.loads(json.dumps(ipctrace.chrome(recs, dropped, "instret")))
    bad = event_format(doc)
    s.report(not bad and any(e["ph"] == "X" for e in doc["traceEvents"]), "trace/json-trace-event-format",
             f"{len(bad)} bad events, the first: {bad[:1]}")
    starts = [e["id"] for e in doc["traceEvents"] if e["ph"] == "s"]
    ends = [e["id"] for e in doc["traceEvents"] if e["ph"] == "f"]
    s.report(starts and sorted(starts) == sorted(ends) and len(set(starts)) == len(starts),
             "trace/flows-pair-calls-and-replies", f"{len(starts)} starts, {len(ends)} ends")
    last = max(b for _, b in ipctrace.windows(recs).values())
    open_calls = [c for c, reply in ipctrace.calls_and_replies(recs) if reply is None and c.t <= last]
    s.report(not open_calls, "trace/every-call-answered",
             "unanswered: " + ", ".join(f"{names.get(c.thread)} -> {names.get(c.peer)} {c.label}" for c in open_calls))
    cat = in_window(recs, 1)

    def calls(src, dst):
        return [ipctrace.label_of(r, names) for r in cat
                if r.event == "call" and names.get(r.thread) == src and names.get(r.peer) == dst]

    to_fs = calls("shell", "fs")
    # stdio's cat: one open, reads until one gives 0 (the file is 90 bytes), one close
    s.report(to_fs.count("FS_OPEN") == 1 and to_fs.count("FS_CLOSE") == 1 and to_fs.count("FS_READ") >= 2
             and set(to_fs) == {"FS_OPEN", "FS_READ", "FS_CLOSE"}, "trace/cat-readme-shell-to-fs", f"{to_fs}")
    to_blk = calls("fs", "virtio-blk")
    s.report(to_blk and set(to_blk) == {"BLK_READ"}, "trace/cat-readme-fs-to-virtio-blk", f"{to_blk}")
    irqs = [r.label for r in cat if r.event == "irq"]
    # one completion interrupt per request the device served (lines 1..8: virtio-mmio)
    s.report(len(irqs) >= 1 and len(irqs) <= len(to_blk) and all(1 <= i <= 8 for i in irqs),
             "trace/cat-readme-irqs", f"irqs {irqs}, {len(to_blk)} block requests")
    s.report(any(r.event == "call" and r.flags & ipctrace.TRF_FASTPATH for r in recs), "trace/fastpath-flagged")
    png = os.path.join(tmp, "seq.png")
    ipctrace.sequence_png(recs, png)
    with open(png, "rb") as f:
        head = f.read(8)
    s.report(head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(png) > 5000, "trace/sequence-diagram-drawn")


def wrapped(s):
    """A command that makes more records than the ring holds (8192): the
    dump and the JSON say how many were written over."""
    cmds = ["write /big 3000000 1"] + ["cksum /big"] * 5
    recs, dropped, out = ipctrace.record(cmds, build=TRACE_BUILD)
    doc = ipctrace.chrome(recs, dropped, "instret")
    s.report(dropped > 0 and doc["otherData"]["dropped"] == dropped and len(recs) == 8192,
             "trace/wrapped-ring-says-written-over", f"{len(recs)} records kept, {dropped} written over")
    s.report("write /big 3000000 1: not in the trace" in ipctrace.table(recs, cmds), "trace/wrapped-ring-table-says-so",
             ipctrace.table(recs, cmds)[:300])


def trace_suite(res):
    with res.suite("trace", CHECKS) as s, tempfile.TemporaryDirectory() as tmp:
        r = system_suite.piped("trace on\npoweroff\n")
        s.report("trace: the kernel was built without tracing (meson -Dtrace=true)" in r.out,
                 "trace/default-build-says-no-tracing", r.why + r.out[-400:])
        traced(s, tmp)   # an exception: the suite reports every check left as never run
        wrapped(s)
