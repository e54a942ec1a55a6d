"""The supervisor's restart policy, heartbeats and task table, driven
through the shell (system.conf: hello may fail 3 times in 10 s, its
second restart in a row waits 300 ms, its third 600 ms; hangs
answers 5 heartbeats of 50 ms, then spins; pinger makes one call to
hello and exits with the error it got)."""
import re

import system_suite

HANGS_PERIOD_MS = 50   # system.conf [hangs] heartbeat

CHECKS = ["supervisor/boots", "supervisor/servers-answer-heartbeats", "supervisor/first-restart-at-once",
          "supervisor/ps-generation-and-failure", "supervisor/call-during-back-off-completes",
          "supervisor/back-off-doubles", "supervisor/crash-loop-left-dead-once", "supervisor/ps-shows-down",
          "supervisor/down-service-answers-E_DOWN", "supervisor/shell-works-after-down",
          "supervisor/restart-brings-back-down-task", "supervisor/report-restarts-server",
          "supervisor/killed-service-answers-E_DOWN",
          "supervisor/restart-system-task", "supervisor/restart-unknown", "supervisor/hang-detected-in-two-periods",
          "supervisor/ps-shows-hang", "supervisor/hog-blamed-not-the-starved",
          "supervisor/lost-call-makes-server-hung", "supervisor/caller-of-lost-call-goes-on", "supervisor/bad-runs-take-no-entries", "supervisor/run-mm-refused",
          "supervisor/run-init-refused", "supervisor/powers-off"]


def supervisor_suite(res):
    with res.suite("supervisor", CHECKS) as s:
        c = system_suite.Console()
        s.report(True, "supervisor/boots")
        try:
            heartbeats(s, c)
            crash_loop(s, c)
            restarts(s, c)
            hang(s, c)
            runs(s, c)
            r = c.poweroff()
            s.report(r.ok, "supervisor/powers-off", r.why)
        finally:
            c.close()


def ps_row(c, name):
    m = re.search(rf"^{name}\s+(\S+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s+(\S+)$", c.run("ps"), re.M)
    return m.groups() if m else None   # state, restarts, generation, last failure


def heartbeats(s, c):
    """Servers with `heartbeat =` answer them: a few periods on, none was
    called hung and each is still its first instance."""
    c.run("sleep 2500")   # fs: a 500 ms grace and three 500 ms periods
    rows = {n: ps_row(c, n) for n in ("uart", "virtio-blk", "fs")}
    log = c.log.getvalue()
    s.report("hung" not in log and all(r and r[0] == "running" and r[2] == "1" for r in rows.values()),
             "supervisor/servers-answer-heartbeats", f"{rows} {log[-300:]}")


def crash_loop(s, c):
    """hello may fail 3 times in 10 s: restarted at once, then after a
    back-off that doubles, then left dead, reported once."""
    out = c.run("inject hello") + c.run("run pinger")
    m = re.search(r"init: restarting hello: done \(generation 2, (\d+) ms after the failure\)", out)
    s.report(m is not None and int(m.group(1)) <= 10, "supervisor/first-restart-at-once", out)
    row = ps_row(c, "hello")
    s.report(row is not None and row[:3] == ("running", "1", "2") and re.fullmatch(r"crash@\d+ms", row[3]),
             "supervisor/ps-generation-and-failure", str(row))
    # pinger's call waits on hello's endpoint while hello dies and waits out
    # its back-off; the next instance answers it
    out = c.run("inject hello") + c.run("run pinger")
    done = out.find("restarting hello: done (generation 3")
    s.report("init: restarting hello in 300 ms" in out and 0 <= done < out.find("pinger: exit status 0 (ok)"),
             "supervisor/call-during-back-off-completes", out)
    out = c.run("inject hello") + c.run("sleep 800")
    s.report("init: restarting hello in 600 ms" in out and "restarting hello: done (generation 4" in out,
             "supervisor/back-off-doubles", out)
    c.run("inject hello")
    c.run("sleep 200")
    log = c.log.getvalue()
    downs = re.findall(r"init: hello is down: left dead after 4 failures in \d+ ms", log)
    s.report(len(downs) == 1 and "generation 5" not in log, "supervisor/crash-loop-left-dead-once", log[-600:])
    row = ps_row(c, "hello")
    s.report(row is not None and row[0] == "down", "supervisor/ps-shows-down", str(row))
    out = c.run("run pinger")
    s.report("pinger: exit status 31 (service down)" in out, "supervisor/down-service-answers-E_DOWN", out)
    s.report(c.run("echo still here") == "still here\n", "supervisor/shell-works-after-down")


def restarts(s, c):
    out = c.run("restart hello") + c.run("run pinger")
    s.report("init: restarting hello: done (generation 5" in out and "pinger: exit status 0 (ok)" in out,
             "supervisor/restart-brings-back-down-task", out)
    out = c.run("run reporter") + c.run("run pinger")
    row = ps_row(c, "hello")
    s.report("init: task hello gave a bad reply: reporter reports invalid argument" in out and
             "reporter: exit status 0 (ok)" in out and "restarting hello: done (generation 6" in out and
             "pinger: exit status 0 (ok)" in out and row is not None and row[3].startswith("bad-reply@"),
             "supervisor/report-restarts-server", f"{out} {row}")
    out = c.run("kill hello") + c.run("run pinger")
    s.report("pinger: exit status 31 (service down)" in out, "supervisor/killed-service-answers-E_DOWN", out)
    out = c.run("restart uart")
    back = c.run("echo console back")
    row = ps_row(c, "uart")
    s.report(back == "console back\n" and row is not None and row[:3] == ("running", "1", "2") and
             row[3].startswith("killed@"), "supervisor/restart-system-task", f"{out} {back!r} {row}")
    s.report("no such task" in c.run("restart nosuch"), "supervisor/restart-unknown")


def hang(s, c):
    out = c.run("run hangs")
    m = re.search(r"init: task hangs hung: no heartbeat for (\d+) ms", out)
    ms = int(m.group(1)) if m else -1
    s.report(2 * HANGS_PERIOD_MS - 10 <= ms <= 2 * HANGS_PERIOD_MS + 30 and "hangs: killed" in out,
             "supervisor/hang-detected-in-two-periods", out)
    row = ps_row(c, "hangs")
    s.report(row is not None and row[0] == "killed" and row[3].startswith("hang@"), "supervisor/ps-shows-hang",
             str(row))
    # starver answers its heartbeats but spins above fs, forgetful, hello:
    # the kernel's tick samples show them starved, so it is the one hung
    out = c.run("run starver")
    hung = re.findall(r"init: task (\S+) hung: (.*)", out)
    s.report(len(hung) == 1 and hung[0][0] == "starver" and re.match(r"took \d+% of the CPU, starving ", hung[0][1])
             and "starver: killed" in out, "supervisor/hog-blamed-not-the-starved", out)
    # forgetful keeps asker's first call and never answers it, while it
    # answers its heartbeats: hung after reply_within (300 ms) of that call
    out = c.run("run asker")
    m = re.search(r"init: task forgetful hung: a call from asker unanswered for (\d+) ms", out)
    s.report(m is not None and 300 < int(m.group(1)) <= 300 + 3 * 50 and "task asker hung" not in out,
             "supervisor/lost-call-makes-server-hung", out)
    s.report("asker: exit status 14 (object deleted)" in out, "supervisor/caller-of-lost-call-goes-on", out)


def runs(s, c):
    """Mistyped runs must not fill the task table (32 entries); mm and init
    are never started twice."""
    bad = [c.run(f"run nosuch{i}") for i in range(30)]
    ps = c.run("ps")
    out = c.run("run stack")
    s.report(all("no such program" in b for b in bad) and "stack: exit status 0 (ok)" in out and
             "nosuch" not in ps, "supervisor/bad-runs-take-no-entries", out + ps[-300:])
    for name in ("mm", "init"):
        out = c.run(f"run {name}")
        ps = c.run("ps")
        s.report("already part of the system" in out and len(re.findall(rf"^{name}\s", ps, re.M)) == 1 and
                 "crashed" not in out, f"supervisor/run-{name}-refused", out)
