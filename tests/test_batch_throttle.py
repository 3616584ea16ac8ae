"""--batch's live progress line on a terminal is rewritten at most every LIVE_EVERY seconds (issue 18: a fast
GPU run must not spend its time printing), and the launcher's helpers."""

from __future__ import annotations

import io

from tui_dl.cli import batch
from tui_dl.cli.launch import free_port, strip_nproc, worker_argv
from tui_dl.core.training.events import StepDone


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _step(i):
    return StepDone(epoch=1, step=i, batch=i, batches=100_000, loss=1.0, lr=0.1, images_per_second=1e5,
                    elapsed=i * 1e-5, eta=1.0)


def test_a_burst_of_step_events_writes_the_live_line_a_few_times(monkeypatch):
    out = _Tty()
    p = batch._Printer(out, quiet=False, color=False)
    clock = iter(i * 1e-4 for i in range(100_000))         # 10,000 steps in 1 s of (fake) time
    monkeypatch.setattr(batch.time, "monotonic", lambda: next(clock))
    for i in range(1, 10_001):
        p.step(_step(i))
    writes = out.getvalue().count("\r")
    assert 1 <= writes <= 1.0 / batch.LIVE_EVERY + 1, writes


def test_piped_output_has_no_live_line():
    out = io.StringIO()
    p = batch._Printer(out, quiet=False, color=False)
    for i in range(1, 100):
        p.step(_step(i))
    assert out.getvalue() == ""


def test_launcher_argv_runs_the_same_command_without_nproc_on_a_free_port():
    argv = ["--batch", "lenet5", "--nproc", "2", "--set", "train.epochs=1", "--nproc=3"]
    assert strip_nproc(argv) == ["--batch", "lenet5", "--set", "train.epochs=1"]
    port = free_port()
    w = worker_argv(2, port, argv)
    assert w[w.index("--rdzv-endpoint") + 1] == f"127.0.0.1:{port}"
    assert w[w.index("--nproc-per-node") + 1] == "2"
    assert w[w.index("-m"):] == ["-m", "tui_dl", "--batch", "lenet5", "--set", "train.epochs=1"]
    assert 1024 < port < 65536


def test_nproc_without_batch_is_one_line_and_exit_2(capsys):
    from tui_dl.cli.main import main

    assert main(["presets/lenet5.yaml", "--nproc", "2"]) == 2
    assert "--nproc N trains one --batch run" in capsys.readouterr().err
    assert main(["--batch", "presets/lenet5.yaml", "--nproc", "0"]) == 2
