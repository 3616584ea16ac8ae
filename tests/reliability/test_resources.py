"""Resources run out: memory (simulated inside the step, and a real allocation failure under RLIMIT_AS in a
subprocess, so the machine's own memory is never touched) and disk space (ENOSPC injected into checkpoint,
metrics and summary writes, including a write torn inside a UTF-8 character). Out of memory ends in exit 1
with advice, a full disk in exit 2 with the resume command; the previous checkpoint stays intact, and
``--resume`` continues to the numbers of an uninterrupted run. Every write point: tests/reliability/test_disk_full.py."""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import signal

import pytest
import torch

from tests.reliability.helpers import (checkpoint_ok, cli, cli_subprocess, fault, inject_forward, moons_yaml,
                                       no_traceback, write)
from tests.reliability.test_interruption import same_run

# ----------------------------------------------------------------------------- out of memory


def raiser(exc):
    def action(_output):
        raise exc
    return action


OOMS = {
    "torch.OutOfMemoryError": lambda: torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB "
                                                             "(GPU 0; 7.79 GiB total capacity)"),
    "CPU allocator": lambda: RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                                          "4294967296 bytes. Error code 12 (Cannot allocate memory)"),
    "MemoryError": lambda: MemoryError(),
}


@pytest.mark.parametrize("kind", list(OOMS))
def test_out_of_memory_in_a_step_is_a_message_with_advice(kind, tmp_path, monkeypatch):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, batch_size: 32"))
    inject_forward(monkeypatch, at_step=5, action=raiser(OOMS[kind]()))
    fault(f"memory: {kind} inside a training step")
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 1, err
    assert "out of memory" in err and "batch" in err and "smaller network" in err, err
    if kind != "MemoryError":
        assert "--set train.batch_size=16" in err
    ck = checkpoint_ok(tmp_path / "run")
    assert ck["step"] == 0  # the initial checkpoint: the run can be restarted with a smaller batch


def test_out_of_memory_during_validation(tmp_path, monkeypatch):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2"))
    inject_forward(monkeypatch, at_step=1, train_only=False,
                   action=lambda out: out if out.requires_grad else (_ for _ in ()).throw(OOMS["CPU allocator"]()))
    fault("memory: OOM during validation")
    rc, _, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 1 and "out of memory" in err, err
    checkpoint_ok(tmp_path / "run")


def test_real_allocation_failure_under_an_address_space_limit(tmp_path):
    """A conv layer whose activations need ~6.6 GB, in a child limited to 8 GB of address space: torch's own
    allocator fails (nothing is ever touched, so this is safe on any machine). Where the free memory is below the
    network's estimate, the run is refused before allocating instead (core/training/memory.py): exit 2."""
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.model.shapes import summarize
    from tui_dl.core.training.memory import available_memory, memory_problem

    f = write(tmp_path / "big.yaml", (
        "name: too big\ninput: [1, 28, 28]\nlayers:\n"
        "  - {type: Conv2d, out_channels: 8192, kernel_size: 3, padding: 1}\n  - {type: ReLU}\n"
        "  - {type: AdaptiveAvgPool2d, output_size: 1}\n  - {type: Flatten}\n  - {type: Linear, out_features: 10}\n"
        "data: {name: synthetic-digits, num_samples: 600}\n"
        "train: {epochs: 1, batch_size: 128, threads: 1, optimizer: {name: sgd, lr: 0.01}}\n"))
    limit = 8 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    fault("memory: real allocation failure (RLIMIT_AS 8 GiB)")
    r = cli_subprocess("--batch", f, "--out", tmp_path / "run", preexec_fn=cap, timeout=180)
    no_traceback(r.stderr)
    free = available_memory("cpu")
    if free is not None and memory_problem(summarize(load_experiment(f).network), 128, "sgd", free[0]):
        assert r.returncode == 2 and "the network is too big for this computer" in r.stderr, r.stderr
        return
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "out of memory on the CPU with batch_size 128" in r.stderr
    assert "--set train.batch_size=64" in r.stderr
    checkpoint_ok(tmp_path / "run")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_real_cuda_out_of_memory(tmp_path):  # pragma: no cover - GPU machines only
    free, _total = torch.cuda.mem_get_info()
    # activations alone: batch × 8192 channels × 28 × 28 × 4 bytes, well over the free memory
    batch = int(free // (8192 * 28 * 28 * 4)) * 2 + 64
    f = write(tmp_path / "big.yaml", (
        "name: too big\ninput: [1, 28, 28]\nlayers:\n"
        "  - {type: Conv2d, out_channels: 8192, kernel_size: 3, padding: 1}\n  - {type: ReLU}\n"
        "  - {type: AdaptiveAvgPool2d, output_size: 1}\n  - {type: Flatten}\n  - {type: Linear, out_features: 10}\n"
        f"data: {{name: synthetic-digits, num_samples: {batch + 100}}}\n"
        f"train: {{epochs: 1, batch_size: {batch}, device: cuda, optimizer: {{name: sgd, lr: 0.01}}}}\n"))
    r = cli_subprocess("--batch", f, "--out", tmp_path / "run", timeout=300)
    no_traceback(r.stderr)
    # the estimate (core/training/memory.py) refuses it before allocating; a run that slips past the estimate
    # meets torch's allocator, whose error is explained too
    assert (r.returncode == 2 and "too big for this CUDA device" in r.stderr and "GPU memory" in r.stderr) or \
        (r.returncode == 1 and "out of memory on CUDA" in r.stderr), r.stderr
    assert "train.batch_size" in r.stderr


def test_the_app_reports_out_of_memory_and_keeps_running(tmp_path, monkeypatch):
    from tui_dl.app import make_app
    from tui_dl.core.config.experiment import load_experiment

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, batch_size: 32"))
    inject_forward(monkeypatch, at_step=3, action=raiser(OOMS["torch.OutOfMemoryError"]()))
    app = make_app(load_experiment(f), f, runs_dir=str(tmp_path / "runs"), device_text="CPU (test)", datasets={})
    fault("memory: OOM inside a step, in the app")

    async def body():
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            for _ in range(600):
                await pilot.pause(0.05)
                if app.session_runs and not app.session_runs[-1].running and not app.is_training:
                    break
            rec = app.session_runs[-1]
            assert rec.status == "failed", rec.status
            assert "out of memory" in rec.error and "--set train.batch_size=16" in rec.error
            assert app.is_running
            return rec

    rec = asyncio.run(body())
    checkpoint_ok(rec.run_dir)


# ----------------------------------------------------------------------------- disk full


def enospc():
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def fail_checkpoint_writes(monkeypatch, name: str, on_call: int):
    """torch.save into ``.<name>.tmp-*`` writes part of the file, then the disk is full (on the on_call-th save
    of that file; later saves work again)."""
    import tui_dl.core.runs.checkpoint as C

    real = C.torch.save
    state = {"calls": 0}

    def save(obj, f, *a, **k):
        target = getattr(f, "name", str(f))
        if os.path.basename(str(target)).startswith(f".{name}.tmp-"):
            state["calls"] += 1
            if state["calls"] == on_call:
                f.write(b"PK\x03\x04 half a checkpoint")
                raise enospc()
        return real(obj, f, *a, **k)

    monkeypatch.setattr(C.torch, "save", save)
    return state


def test_disk_full_while_writing_a_checkpoint_keeps_the_previous_one_and_resume_finishes(tmp_path, monkeypatch):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 3, log_every: 3"))
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err
    run = tmp_path / "run"
    fail_checkpoint_writes(monkeypatch, "last.pt", on_call=3)  # 1: initial weights, 2: epoch 1, 3: epoch 2
    fault("disk full: writing last.pt")
    rc, out, err = cli("--batch", f, "--out", run)
    assert rc == 2, err
    assert f"could not write {run / 'last.pt'}: No space left on device. The previous checkpoint is kept." in err
    assert f"continue with: tui-dl --batch --resume {run}" in err
    ck = checkpoint_ok(run)
    assert ck["epochs_completed"] == 1
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [], "temp files left behind"
    monkeypatch.undo()
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    same_run(run, tmp_path / "ref")


def test_disk_full_tears_a_metrics_line_inside_a_character_and_resume_still_works(tmp_path, monkeypatch):
    """The disk fills while metrics.jsonl is appended: half a line, cut inside a multi-byte character."""
    from tui_dl.core.runs import folder as R

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 3, log_every: 3"))
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err
    real = R.RunWriter.log
    state = {"steps": 0}

    def log(self, event, **kw):
        if getattr(event, "kind", "") == "step":
            state["steps"] += 1
            if state["steps"] == 9:  # in epoch 2
                self._jsonl.flush()
                os.write(self._jsonl.fileno(), '{"event": "step", "note": "×'.encode()[:-1])
                raise enospc()
        return real(self, event, **kw)

    monkeypatch.setattr(R.RunWriter, "log", log)
    run = tmp_path / "run"
    fault("disk full: metrics.jsonl torn inside a UTF-8 character")
    rc, _, err = cli("--batch", f, "--out", run)
    assert rc == 2, err
    assert f"could not write to {run / 'metrics.jsonl'}: No space left on device" in err
    assert f"--resume {run}" in err
    checkpoint_ok(run)
    monkeypatch.undo()
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    same_run(run, tmp_path / "ref")


def test_disk_full_while_saving_the_interrupted_checkpoint(tmp_path, monkeypatch):
    """Ctrl+C, and the disk is full when the interruption checkpoint is written: the one before is kept."""
    import tui_dl.core.training.engine as T

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 3, log_every: 3"))
    rc, _, err = cli("--batch", f, "--out", tmp_path / "ref", "--quiet")
    assert rc == 0, err
    fail_checkpoint_writes(monkeypatch, "last.pt", on_call=3)  # 1: initial, 2: epoch 1, 3: the interrupted one
    real = T.build_model
    calls = {"n": 0}

    def build(spec, **kw):
        model = real(spec, **kw)

        def hook(module, inputs, output):
            if module.training:
                calls["n"] += 1
                if calls["n"] == 25:  # epoch 2, step 7
                    signal.raise_signal(signal.SIGINT)
            return output

        model.register_forward_hook(hook)
        return model

    monkeypatch.setattr(T, "build_model", build)
    run = tmp_path / "run"
    fault("disk full: writing the interruption checkpoint after SIGINT")
    rc, _, err = cli("--batch", f, "--out", run)
    assert rc == 2, err
    assert "No space left on device. The previous checkpoint is kept." in err
    assert checkpoint_ok(run)["epochs_completed"] == 1
    monkeypatch.undo()
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0, err
    same_run(run, tmp_path / "ref")


def test_disk_full_when_writing_the_summary(tmp_path, monkeypatch):
    from tui_dl.core.runs import folder as R

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2"))

    def no_space(self, summary):
        raise enospc()

    monkeypatch.setattr(R.RunWriter, "write_summary", no_space)
    run = tmp_path / "run"
    fault("disk full: writing summary.json")
    rc, _, err = cli("--batch", f, "--out", run)
    assert rc == 2 and f"could not write {run / 'summary.json'}" in err, err
    assert checkpoint_ok(run)["epochs_completed"] == 2  # the trained model is safe
    monkeypatch.undo()
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    assert (run / "summary.json").is_file()


def test_disk_full_before_the_run_starts(tmp_path, monkeypatch):
    from tui_dl.core.runs import folder as R

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1"))

    def no_space(self, text):
        raise enospc()

    monkeypatch.setattr(R.RunWriter, "write_config", no_space)
    fault("disk full: creating the run folder")
    rc, _, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 2 and "cannot write the run folder" in err and "No space left on device" in err, err


# ----------------------------------------------------------------------------- a broken torch


@pytest.mark.parametrize("error", [
    "ModuleNotFoundError(\"No module named 'torch'\")",
    "OSError('libgomp.so.1: cannot open shared object file: No such file or directory')",
    "ImportError('libtorch_cuda.so: failed to map segment from shared object')",
])
def test_a_missing_or_broken_torch_is_a_message(error, tmp_path):
    """torch is imported only once the config is valid; when that import fails (not installed, a broken wheel,
    an address-space limit too small to map its libraries) the student gets a sentence, not a traceback."""
    from tests.reliability.helpers import ROOT, env

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1"))
    code = ("import sys\n"
            "class Broken:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'torch':\n"
            f"            raise {error}\n"
            "sys.meta_path.insert(0, Broken())\n"
            "from tui_dl.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    fault("environment: torch cannot be imported")
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code, "--batch", str(f), "--runs-dir", str(tmp_path / "runs")],
                       capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 2, r.stderr
    no_traceback(r.stderr)
    assert "tui-dl: PyTorch could not be loaded" in r.stderr and "import torch" in r.stderr
