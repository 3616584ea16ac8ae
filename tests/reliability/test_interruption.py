"""Interrupted runs: SIGTERM/SIGINT to a real ``--batch`` process, SIGINT at every phase of a run (in-process, a
real signal raised from inside the forward pass), Ctrl+C twice, Ctrl+C during the torch import, kill -9 while a
checkpoint is being written, and damaged checkpoints given to ``--resume``.

What must hold every time: exit 130 (or 2 for a damaged checkpoint) with a message and no traceback, a loadable
checkpoint, and ``--resume`` continuing to exactly the numbers of a run that was never interrupted (CPU).
The Ctrl+C-then-resume path through a subprocess is in tests/test_batch_cli.py; SIGTERM is tested here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from tests.reliability.helpers import (ROOT, checkpoint_ok, cli, env, fault, metrics_epochs, metrics_steps,
                                       moons_yaml, no_traceback, summary, write)


def same_run(a, b) -> None:
    """Two run folders hold the same numbers: every logged step loss, every epoch, the test result."""
    assert metrics_steps(a) == metrics_steps(b)
    assert metrics_epochs(a) == metrics_epochs(b)
    sa, sb = summary(a), summary(b)
    assert (sa["test_loss"], sa["test_accuracy"], sa["confusion"]) == (sb["test_loss"], sb["test_accuracy"],
                                                                       sb["confusion"])
    assert sa["status"] == sb["status"] == "completed"


def start_batch(f, run_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", "tui_dl", "--batch", str(f), "--jsonl", "--out", str(run_dir),
                             *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=env())


def wait_for_first_step(p) -> list[dict]:
    seen = []
    for line in p.stdout:
        seen.append(json.loads(line))
        if seen[-1]["event"] == "step":
            return seen
    raise AssertionError(f"the run ended before its first step: {p.stderr.read()}")


# ----------------------------------------------------------------------------- real signals, real processes


def test_sigterm_saves_a_checkpoint_exits_130_and_resume_is_bit_identical(tmp_path):
    # 10,000 points: 7,200 train, 450 steps per epoch, so the signal lands mid-epoch
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, log_every: 25", num_samples=10_000))
    run_dir = tmp_path / "run"
    p = start_batch(f, run_dir)
    seen = wait_for_first_step(p)
    fault("signal: SIGTERM to --batch")
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=120)
    seen += [json.loads(x) for x in rest.splitlines()]
    assert p.returncode == 130, err
    no_traceback(err)
    assert "SIGTERM: stopping after this step and saving a checkpoint" in err
    assert "continue with: tui-dl --batch --resume" in err or seen[-1]["status"] == "stopped"
    saved = [e for e in seen if e["event"] == "checkpoint"][-1]
    assert saved["reason"] == "interrupted" and saved["step"] < 2 * 450
    ck = checkpoint_ok(run_dir)
    assert ck["status"] == "interrupted" and ck["step"] == saved["step"]

    rc, out, err = cli("--batch", "--resume", run_dir, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err
    same_run(run_dir, tmp_path / "ref")


def test_ctrl_c_twice_quits_at_once_and_keeps_a_loadable_checkpoint(tmp_path):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, log_every: 25", num_samples=10_000))
    run_dir = tmp_path / "run"
    p = start_batch(f, run_dir)
    wait_for_first_step(p)
    fault("signal: SIGINT twice")
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    no_traceback(err)
    checkpoint_ok(run_dir)  # the interrupted one, or the one before it: never a half-written file
    rc, out, err = cli("--batch", "--resume", run_dir, "--quiet")
    assert rc == 0 and out.startswith("completed"), err


def test_ctrl_c_while_torch_is_imported_is_not_a_traceback(tmp_path):
    """Students press Ctrl+C in the first seconds, while torch loads (before training installs its handler).
    The KeyboardInterrupt is raised deterministically from the import system here."""
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1"))
    code = ("import sys\n"
            "class Stop:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'torch':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Stop())\n"
            "from tui_dl.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    fault("signal: Ctrl+C during the torch import")
    r = subprocess.run([sys.executable, "-c", code, "--batch", str(f), "--runs-dir", str(tmp_path / "runs")],
                       capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 130, r.stderr
    no_traceback(r.stderr)
    assert "interrupted" in r.stderr


# ----------------------------------------------------------------------------- SIGINT at every phase (in-process)


def sigint_when(monkeypatch, predicate):
    """Raise a real SIGINT (handled by --batch's own handler) from inside the forward pass when
    ``predicate(training, call_number)`` first holds."""
    import tui_dl.core.training.engine as T

    real = T.build_model
    state = {"train": 0, "eval": 0, "fired": False}

    def build(spec, **kw):
        model = real(spec, **kw)

        def hook(module, inputs, output):
            key = "train" if module.training else "eval"
            state[key] += 1
            if not state["fired"] and predicate(module.training, state[key]):
                state["fired"] = True
                signal.raise_signal(signal.SIGINT)
            return output

        model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(T, "build_model", build)
    return state


# moons, 400 points: 80 test, 32 val, 288 train → 18 steps of 16 per epoch. EVAL_BATCH_FLAT = 8 makes validation
# 4 batches and the test 10, so a stop can land inside either.
PHASES = {  # phase: (when to raise SIGINT, (epoch, batch) of the saved position, checkpoint status)
    "first step": (lambda training, n: training and n == 1, (1, 1), "interrupted"),
    "mid epoch 1": (lambda training, n: training and n == 7, (1, 7), "interrupted"),
    "last step of epoch 1": (lambda training, n: training and n == 18, (1, 18), "interrupted"),
    "first step of epoch 2": (lambda training, n: training and n == 19, (2, 1), "interrupted"),
    "inside validation": (lambda training, n: not training and n == 2, (1, 18), "interrupted"),
    "inside the last validation": (lambda training, n: not training and n == 4 * 2 + 2, (3, 18), "interrupted"),
    "inside the test": (lambda training, n: not training and n == 4 * 3 + 3, (4, 0), "completed"),
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigint_at_any_phase_then_resume_matches_an_uninterrupted_run(phase, tmp_path, monkeypatch):
    import tui_dl.core.training.plan as P

    monkeypatch.setattr(P, "EVAL_BATCH_FLAT", 8)
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 3, log_every: 3"))
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err

    when, position, status = PHASES[phase]
    state = sigint_when(monkeypatch, when)
    fault("signal: SIGINT at a chosen phase")
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run")
    assert state["fired"], "the interruption point was never reached"
    assert rc == 130, err
    assert "SIGINT: stopping after this step and saving a checkpoint" in err
    assert "continue with: tui-dl --batch --resume" in out
    ck = checkpoint_ok(tmp_path / "run")
    assert (ck["position"]["epoch"], ck["position"]["batch"]) == position and ck["status"] == status, ck["position"]
    monkeypatch.undo()  # the resumed session runs without the interrupting hook
    monkeypatch.setattr(P, "EVAL_BATCH_FLAT", 8)
    rc, out, err = cli("--batch", "--resume", tmp_path / "run", "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    same_run(tmp_path / "run", tmp_path / "ref")


# ----------------------------------------------------------------------------- kill -9 while writing a checkpoint


def _child_saves_forever(path, payload, child_id, report_fd):
    """In a forked child: write checkpoints to ``path`` in a loop, reporting each completed save."""
    try:
        from tui_dl.core.runs.checkpoint import save_checkpoint

        i = 0
        while True:
            i += 1
            save_checkpoint(path, model={"w": payload, "n": torch.tensor([i])},
                            spec={"child": child_id, "i": i}, experiment={"child": child_id, "i": i}, step=i)
            os.write(report_fd, b"x")
    finally:
        os._exit(0)


def test_kill_9_during_checkpoint_writes_never_leaves_a_broken_checkpoint(tmp_path):
    from tui_dl.core.runs.checkpoint import load_checkpoint, save_checkpoint

    path = tmp_path / "last.pt"
    # 16 MB of weights: each save takes long enough (write + fsync) for kills to land inside it
    payload = torch.from_numpy(np.random.default_rng(0).standard_normal(4_000_000).astype(np.float32))
    save_checkpoint(path, model={"w": payload, "n": torch.tensor([0])}, spec={"child": -1, "i": 0},
                    experiment={"child": -1, "i": 0}, step=0)
    rnd = random.Random(1234)
    t0 = time.perf_counter()
    save_checkpoint(tmp_path / "probe.pt", model={"w": payload}, spec={}, experiment={})
    save_seconds = max(time.perf_counter() - t0, 0.005)
    (tmp_path / "probe.pt").unlink()

    kills, mid_write, previous = 0, 0, (-1, 0)
    for child_id in range(60):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            _child_saves_forever(path, payload, child_id, w)
        os.close(w)
        time.sleep(rnd.uniform(0.2, 2.5) * save_seconds)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        completed = len(os.read(r, 1 << 20))  # one byte per completed save
        os.close(r)
        kills += 1
        fault("kill -9 during a checkpoint write")
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".last.pt.tmp-")]
        if leftovers:
            mid_write += 1
            fault("kill -9 that landed inside a write (temp file left, last.pt intact)")
            for p in leftovers:
                p.unlink()
        ck = load_checkpoint(path)  # never damaged
        got = (ck["spec"]["child"], ck["spec"]["i"])
        assert ck["step"] == ck["spec"]["i"] == int(ck["model"]["n"]) and torch.equal(ck["model"]["w"], payload)
        if completed:
            # the last completed save, or the one after it if the kill came between rename and report
            assert got in ((child_id, completed), (child_id, completed + 1)), (got, completed)
        else:
            assert got in (previous, (child_id, 1)), (got, previous)
        previous = got
        if kills >= 20 and mid_write >= 10:
            break
    assert kills >= 20
    assert mid_write >= 10, f"only {mid_write} of {kills} kills landed inside a write; the test proves nothing"
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


# ----------------------------------------------------------------------------- damaged checkpoints and --resume


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("finished")
    f = write(d / "exp.yaml", moons_yaml("epochs: 1"))
    rc, _, err = cli("--batch", f, "--out", d / "run", "--quiet")
    assert rc == 0, err
    return d / "run"


@pytest.mark.parametrize("damage,words", [
    ("truncated", "damaged"),
    ("zero bytes", "damaged"),
    ("garbage", "damaged"),
    ("foreign torch file", "not a tui-dl checkpoint"),
    ("no last.pt", "has no last.pt"),
    ("missing folder", "no such run folder"),
])
def test_resume_from_a_damaged_checkpoint_exits_2_naming_the_file(damage, words, finished_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    last = run / "last.pt"
    if damage == "truncated":
        last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    elif damage == "zero bytes":
        last.write_bytes(b"")
    elif damage == "garbage":
        last.write_bytes(os.urandom(4096))
    elif damage == "foreign torch file":
        torch.save({"state_dict": {"w": torch.zeros(2)}}, last)
    elif damage == "no last.pt":
        last.unlink()
    else:
        shutil.rmtree(run)
    fault("resume: damaged checkpoint")
    rc, out, err = cli("--batch", "--resume", run)
    assert rc == 2, (out, err)
    assert words in err and str(run) in err, err


def test_resume_without_config_yaml_uses_the_checkpoint(finished_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / "config.yaml").unlink()
    fault("resume: config.yaml deleted")
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
