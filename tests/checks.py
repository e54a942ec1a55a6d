"""Counting checks: a suite declares its checks before it runs them, so a
check that never ran is counted failed by name.

    res = Results(prefix="")              # one per run; prints "ok - NAME" lines
    with res.suite("boot", ["boot/exits-cleanly", "boot/free-slots"]) as s:
        r = qemu_run.run(...)
        s.report(r.ok, "boot/exits-cleanly", r.why)
        s.declare(["boot/more"])          # names only known once the guest said them
        ...
    res.summary()                         # "N passed, N failed"

When the `with` block ends, every declared check that was not reported is
reported failed ("never ran: ..." with the exception that stopped the suite,
if one did). An exception in a suite ends that suite, not the run. A check
reported twice, or one that was not declared, counts as a failure too."""
import traceback


class Results:
    def __init__(self, prefix=""):
        self.passed = 0
        self.failed = 0
        self.prefix = prefix

    def report(self, ok, name, why=""):
        if ok:
            self.passed += 1
            print(f"ok - {self.prefix}{name}", flush=True)
        else:
            self.failed += 1
            why = " ".join(str(why).split())[:600]
            print(f"not ok - {self.prefix}{name}{': ' + why if why else ''}", flush=True)

    def suite(self, name, checks):
        return Suite(self, name, checks)

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


class Suite:
    """The checks one suite declared, and which of them have reported."""

    def __init__(self, res, name, checks):
        self.res, self.name = res, name
        self.declared, self.done = [], set()
        self.declare(checks)

    def declare(self, checks):
        for c in checks:
            if c in self.declared:
                self.res.report(False, c, "declared twice")
            else:
                self.declared.append(c)

    def report(self, ok, name, why=""):
        if name not in self.declared:
            self.res.report(False, name, "not declared by its suite")
        elif name in self.done:
            self.res.report(False, name, "reported twice")
        else:
            self.done.add(name)
            self.res.report(ok, name, "" if ok else why)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        why = "never ran"
        if exc is not None:
            if not isinstance(exc, Exception):
                return False   # KeyboardInterrupt and the like go on up
            first = (str(exc).strip().splitlines() or [""])[0]
            why = f"never ran: {self.name} stopped by {kind.__name__}: {first}"
            print(f"# {self.name}: stopped by an exception:")
            lines = "".join(traceback.format_exception(kind, exc, tb)).splitlines()[-12:]
            print("\n".join("#   " + l for l in lines), flush=True)
        for c in self.declared:
            if c not in self.done:
                self.done.add(c)
                self.res.report(False, c, why)
        return True
