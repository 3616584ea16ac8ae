"""Faults and hostile input, the long version of tests/reliability/: many kill -9 / --resume cycles, injected write
failures at every write point, every field of a real checkpoint fuzzed through every command that reads one, and
fuzzed experiment files trained for real. Reports, per family: tried, and how many ended in a traceback (or lost
an epoch, or resumed to different numbers).

    python -m benchmarks.faults            # a few minutes on 2 cores
    python -m benchmarks.faults --quick    # under a minute
    python -m benchmarks.faults --json out.json

Each case runs in this process (through ``tui_dl.cli.main.main``, exactly as ``tui-dl``) or, where it must die, in
a forked child that SIGKILLs itself (torch is imported once, so a cycle costs milliseconds). Fuzzed configs train
in forked children with a time and address-space limit.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import errno
import io
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reliability.checkpoint_mutations import (COMMANDS, command_args, judge, make_base_run,  # noqa: E402
                                                    mutations, sample)
from tests.reliability.helpers import moons_yaml  # noqa: E402


def cli(*args) -> tuple[int, str, str]:
    """tui-dl ARGS in this process: (exit code, stdout, stderr); an escaping exception is a "traceback"."""
    from tui_dl.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException:  # noqa: BLE001 - what must never happen
            rc = -1
            err.write("Traceback (escaped main)\n" + traceback.format_exc())
    return rc, out.getvalue(), err.getvalue()


def epochs_of(run: Path) -> list[int]:
    out = []
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            d = json.loads(line)
            if isinstance(d, dict) and d.get("event") == "epoch":
                out.append(d["epoch"])
    return out


def numbers(run: Path) -> tuple:
    from tui_dl.core.runs.folder import read_metrics

    ev = read_metrics(run)
    s = json.loads((run / "summary.json").read_text())
    return ([(e["step"], e["loss"]) for e in ev if e["event"] == "step"],
            [(e["epoch"], e["train_loss"], e["val_loss"]) for e in ev if e["event"] == "epoch"],
            s["test_loss"], s["test_accuracy"], s["status"])


# ----------------------------------------------------------------------------- kill -9 and --resume


def _child(args, kill_kind: str, kill_n: int) -> None:  # pragma: no cover - runs in the forked child
    rc = 99
    try:
        import tui_dl.core.training.loop as T
        from tui_dl.core.runs.folder import RunWriter

        counts = collections.Counter()
        real_save, real_log = T.atomic_save, RunWriter.log

        def hit(kind):
            counts[kind] += 1
            if kind == kill_kind and counts[kind] == kill_n:
                os.kill(os.getpid(), signal.SIGKILL)

        def save(obj, path):
            out = real_save(obj, path)
            hit("save")
            return out

        def log(self, event, **kw):
            real_log(self, event, **kw)
            hit(getattr(event, "kind", ""))

        T.atomic_save, RunWriter.log = save, log
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
            from tui_dl.cli.main import main

            rc = main([str(a) for a in args])
    finally:
        os._exit(rc if isinstance(rc, int) else 98)


def kill_resume(work: Path, runs: int, rnd: random.Random, tally: collections.Counter) -> None:
    epochs = 4
    exp = work / "kill.yaml"
    exp.write_text(moons_yaml(f"epochs: {epochs}, log_every: 3"), encoding="utf-8")
    rc, _, err = cli("--batch", exp, "--out", work / "ref", "--quiet")
    assert rc == 0, err
    ref = numbers(work / "ref")
    for i in range(runs):
        run = work / f"kill{i}"
        args = ["--batch", exp, "--out", run, "--quiet"]
        for _cycle in range(12):
            kind = rnd.choice(("save", "epoch", "step", "step", "checkpoint", "started"))
            n = rnd.randint(1, {"save": 6, "epoch": 3, "step": 30, "checkpoint": 6, "started": 1}[kind])
            pid = os.fork()
            if pid == 0:  # pragma: no cover
                _child(args, kind, n)
            _, status = os.waitpid(pid, 0)
            if os.WIFSIGNALED(status):
                tally["kill -9: kills"] += 1
                if (run / "last.pt").is_file():
                    args = ["--batch", "--resume", run, "--quiet"]
                else:  # killed before the first checkpoint (the initial weights): nothing to resume, start again
                    tally["kill -9: killed before the first checkpoint (started again with --overwrite)"] += 1
                    rc, _, err = cli("--batch", "--resume", run, "--quiet")
                    if rc != 2 or "has no last.pt" not in err:
                        tally["kill -9: resume before the first checkpoint not refused by name"] += 1
                    args = ["--batch", exp, "--out", run, "--quiet", "--overwrite"]
                continue
            code = os.WEXITSTATUS(status)
            if code != 0:
                tally[f"kill -9: a resume exited {code}"] += 1
            break
        tally["kill -9: runs"] += 1
        got_epochs = epochs_of(run)
        if got_epochs != list(range(1, epochs + 1)):
            tally["kill -9: epochs lost or doubled"] += 1
        elif numbers(run) != ref:
            tally["kill -9: numbers differ from the run never killed"] += 1
        shutil.rmtree(run)


# ----------------------------------------------------------------------------- write failures


def write_faults(work: Path, tally: collections.Counter) -> None:
    exp = work / "disk.yaml"
    exp.write_text(moons_yaml("epochs: 2, log_every: 5"), encoding="utf-8")
    codes = {"ENOSPC": errno.ENOSPC, "EDQUOT": errno.EDQUOT, "EROFS": errno.EROFS, "EIO": errno.EIO}
    points = [("config.yaml", 1), ("last.pt", 1), ("last.pt", 2), ("last.pt", 3), ("best.pt", 1), ("best.pt", 2),
              ("metrics.jsonl", 1), ("metrics.jsonl", 2), ("metrics.csv", 1), ("summary.json", 1)]
    real_fsync = os.fsync
    for name, nth in points:
        for code_name, code in codes.items():
            state = {"n": 0}

            def fsync(fd, name=name, nth=nth, code=code, state=state):
                try:
                    target = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
                except OSError:
                    target = ""
                if name in target:
                    state["n"] += 1
                    if state["n"] == nth:
                        raise OSError(code, os.strerror(code))
                return real_fsync(fd)

            run = work / f"disk-{points.index((name, nth))}-{code_name}"
            os.fsync = fsync
            try:
                rc, _, err = cli("--batch", exp, "--out", run, "--quiet")
            finally:
                os.fsync = real_fsync
            tally["write failures: tried"] += 1
            if "Traceback" in err:
                tally["write failures: tracebacks"] += 1
            elif state["n"] >= nth and (rc != 2 or len([x for x in err.splitlines() if x.startswith("tui-dl:")]) != 1):
                tally["write failures: not one line and exit 2"] += 1
                print(f"  {name} #{nth} {code_name}: exit {rc}: {err.strip()[-300:]}", file=sys.stderr)
            if rc == 2 and "--resume" in err:
                rc2, _, err2 = cli("--batch", "--resume", run, "--quiet")
                tally["write failures: resumed"] += 1
                if rc2 != 0 or epochs_of(run) != [1, 2]:
                    tally["write failures: resume did not finish with epochs 1-2"] += 1
            shutil.rmtree(run, ignore_errors=True)
    # torch's own zip writer failing (a full disk as torch reports it)
    import tui_dl.core.runs.checkpoint as C

    real_save, real_statvfs = C.torch.save, os.statvfs
    for nth in (1, 2, 3, 4):
        state = {"n": 0}

        def save(obj, f, *a, nth=nth, state=state, **k):
            state["n"] += 1
            if state["n"] == nth:
                raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")
            return real_save(obj, f, *a, **k)

        class Vfs:
            f_frsize, f_bavail = 4096, 1

        C.torch.save, os.statvfs = save, (lambda p: Vfs())
        run = work / f"torchfull-{nth}"
        try:
            rc, _, err = cli("--batch", exp, "--out", run, "--quiet")
        finally:
            C.torch.save, os.statvfs = real_save, real_statvfs
        tally["write failures: tried"] += 1
        if "Traceback" in err:
            tally["write failures: tracebacks"] += 1
        elif rc != 2 or "No space left on device" not in err:
            tally["write failures: not one line and exit 2"] += 1
        shutil.rmtree(run, ignore_errors=True)


# ----------------------------------------------------------------------------- checkpoints


def checkpoint_fuzz(work: Path, limit: int | None, tally: collections.Counter) -> None:
    import torch

    base = make_base_run(work / "ckbase")
    ck = torch.load(base["run"] / "last.pt", weights_only=True)
    muts = sample(mutations(ck), limit, seed=1)
    for i, (field, what, m) in enumerate(muts):
        for command in COMMANDS:
            d = work / f"ck{i}{command}"
            shutil.copytree(base["run"], d)
            torch.save(m, d / "last.pt")
            (d / "best.pt").unlink(missing_ok=True)
            rc, _, err = cli(*command_args(command, d, d / "last.pt", base["image"], d))
            verdict = judge(rc, err, field, d / "last.pt")
            tally[f"checkpoint fields: tried ({command})"] += 1
            tally[f"checkpoint fields: {verdict}"] += 1
            if verdict not in ("ok", "refused"):
                print(f"  checkpoint {field} ({what}) via {command}: {verdict}: {err.strip()[-300:]}", file=sys.stderr)
            shutil.rmtree(d)


# ----------------------------------------------------------------------------- experiment files


def _fuzz_value(rnd: random.Random, v):
    choices = [None, "", "text", [1, 2], {"a": 1}, True, -1, 0, 1e308, float("nan"), 2**63, "1e-3", "on", [], {}]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        choices += [v * 10, -v, v + 0.5, str(v)]
    return rnd.choice(choices)


def _leaves(d, prefix=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield prefix + (k,)
            yield from _leaves(v, prefix + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield prefix + (i,)
            yield from _leaves(v, prefix + (i,))


def config_fuzz(work: Path, n: int, rnd: random.Random, tally: collections.Counter) -> None:
    import resource

    import yaml

    doc = yaml.safe_load(moons_yaml("epochs: 1, log_every: 5"))
    paths = list(_leaves(doc))
    for i in range(n):
        d = json.loads(json.dumps(doc))
        for _ in range(rnd.randint(1, 3)):
            path = rnd.choice(paths)
            node = d
            try:
                for p in path[:-1]:
                    node = node[p]
                if rnd.random() < 0.2 and isinstance(node, dict):
                    node.pop(path[-1], None)
                else:
                    node[path[-1]] = _fuzz_value(rnd, node[path[-1]])
            except (KeyError, IndexError, TypeError):
                continue
        f = work / f"cfg{i}.yaml"
        f.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            code = 97
            try:
                resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
                signal.alarm(60)
                rc, _, err = cli("--batch", f, "--out", work / f"cfgrun{i}", "--quiet")
                os.write(w, json.dumps({"rc": rc, "traceback": "Traceback" in err, "err": err[-400:]}).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        data = b""
        while chunk := os.read(r, 1 << 16):
            data += chunk
        os.close(r)
        _, status = os.waitpid(pid, 0)
        tally["configs: tried"] += 1
        if not data:
            tally["configs: killed (time or memory limit)" if os.WIFSIGNALED(status) else "configs: died"] += 1
            continue
        res = json.loads(data)
        tally[f"configs: exit {res['rc']}"] += 1
        if res["traceback"] or res["rc"] not in (0, 1, 2):
            tally["configs: tracebacks"] += 1
            print(f"  config {f}: {res['err']}", file=sys.stderr)
        shutil.rmtree(work / f"cfgrun{i}", ignore_errors=True)


# ----------------------------------------------------------------------------- main


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer cases (under a minute)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", help="also write the counts to this file")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    rnd = random.Random(args.seed)
    tally: collections.Counter = collections.Counter()
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="tui-dl-faults-") as tmp:
        work = Path(tmp)
        for name, job in (("kill -9 / --resume", lambda: kill_resume(work, 4 if args.quick else 50, rnd, tally)),
                          ("write failures", lambda: write_faults(work, tally)),
                          ("checkpoint fields", lambda: checkpoint_fuzz(work, 40 if args.quick else None, tally)),
                          ("experiment files", lambda: config_fuzz(work, 20 if args.quick else 300, rnd, tally))):
            t0 = time.perf_counter()
            job()
            seconds[name] = round(time.perf_counter() - t0, 1)
            print(f"{name}: {seconds[name]} s", file=sys.stderr)
    tracebacks = sum(v for k, v in tally.items() if "traceback" in k)
    report = {"cpu": cpu_model(), "quick": args.quick, "seconds": seconds, "counts": dict(sorted(tally.items())),
              "tracebacks": tracebacks}
    print(f"faults on {report['cpu']} ({'quick' if args.quick else 'full'}):")
    for k, v in sorted(tally.items()):
        print(f"  {v:6d}  {k}")
    print(f"  tracebacks: {tracebacks}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    bad = tracebacks + sum(v for k, v in tally.items() if any(w in k for w in ("lost", "differ", "not one line",
                                                                                "did not finish", "died")))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
