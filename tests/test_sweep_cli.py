"""`tui-dl --batch FILE --sweep KEY=V1,V2`: one run folder per value under one sweep folder, the same initial
weights (init_sha256) in each, a table; bad --sweep keys and values exit 2 with one line; an interrupted sweep
continues with the same command (finished runs skipped, the interrupted one resumed from its checkpoint)."""

from __future__ import annotations

import json

import pytest

from tui_dl.cli.main import main

TINY = """name: tiny
input: [1, 28, 28]
layers:
  - {type: Flatten}
  - {type: Linear, out_features: 12}
  - {type: ReLU}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: 300}
train: {epochs: 1, batch_size: 50, threads: 1, optimizer: {name: adam, lr: 0.01}, log_every: 1}
"""


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    return tmp_path


def _sweep_dirs(root):
    return sorted((root / "runs").glob("sweep-*"))


def test_a_three_optimizer_sweep_writes_three_runs_from_the_same_weights(tiny, capsys):
    rc = main(["--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,momentum,adam", "--quiet"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    (folder,) = _sweep_dirs(tiny)
    runs = ["optimizer.name=sgd", "optimizer.name=momentum", "optimizer.name=adam"]
    summaries = [json.loads((folder / r / "summary.json").read_text()) for r in runs]
    hashes = {s["init_sha256"] for s in summaries}
    assert len(hashes) == 1 and len(next(iter(hashes))) == 64
    assert [s["status"] for s in summaries] == ["completed"] * 3
    # each run trained with its own optimizer, the rest as in the file
    cfgs = [(folder / r / "config.yaml").read_text() for r in runs]
    assert "name: sgd" in cfgs[0] and "name: momentum" in cfgs[1] and "name: adam" in cfgs[2]
    sweep = json.loads((folder / "sweep.json").read_text())
    assert sweep["finished"] and [r["label"] for r in sweep["runs"]] == \
        ["optimizer=sgd", "optimizer=momentum", "optimizer=adam"]
    for r in sweep["runs"]:
        assert r["best_val_accuracy"] is not None and r["final_train_loss"] > 0 and r["images_per_second"] > 0
    table = (folder / "table.md").read_text()
    assert table.splitlines()[0].startswith("| run ") and "best val acc" in table and "img/s" in table
    assert "every run started from the same initial weights" in table
    assert "| optimizer=momentum |" in out and "every run started from the same initial weights" in out


@pytest.mark.parametrize("args, message", [
    (["--sweep", "train.optimzer.name=sgd,adam"], "--sweep train.optimzer.name: not a setting a sweep can change; "
                                                  "did you mean train.optimizer.name?"),
    (["--sweep", "optimizer.name=sgd,adum"], "--sweep train.optimizer.name=adum: train.optimizer.name: 'adum' is "
                                             "not one of"),
    (["--sweep", "batch_size=16,0"], "--sweep train.batch_size=0: train.batch_size: must be at least 1"),
    (["--sweep", "lr"], "expected KEY=VALUE1,VALUE2"),
])
def test_bad_sweeps_are_one_line_and_exit_2(tiny, capsys, args, message):
    rc = main(["--batch", "tiny.yaml", *args])
    out, err = capsys.readouterr()
    assert rc == 2 and message in err and "Traceback" not in err
    assert not _sweep_dirs(tiny)  # nothing started


def test_a_sweep_needs_batch(tiny, capsys):
    rc = main(["tiny.yaml", "--sweep", "lr=0.1,0.01"])
    assert rc == 2 and "--sweep runs headless: add --batch" in capsys.readouterr().err


def test_an_interrupted_sweep_continues_with_the_same_command(tiny, capsys, monkeypatch):
    from tui_dl.core.training import loop
    from tui_dl.core.training.events import StepDone

    real = loop.iter_training
    calls = []

    def stopping_second_run(*a, **kw):  # Ctrl+C during the second run: what the SIGINT handler does
        calls.append(kw.get("resume"))
        for ev in real(*a, **kw):
            yield ev
            if len(calls) == 2 and isinstance(ev, StepDone) and ev.step == 2:
                kw["should_stop"].set()

    monkeypatch.setattr(loop, "iter_training", stopping_second_run)
    cmd = ["--batch", "tiny.yaml", "--sweep", "optimizer.name=sgd,momentum,adam", "--quiet"]
    assert main(cmd) == 130
    err = capsys.readouterr().err
    (folder,) = _sweep_dirs(tiny)
    assert f"continue it with the same command, or: tui-dl --batch --resume runs/{folder.name}" in err
    first = (folder / "optimizer.name=sgd" / "summary.json").stat().st_mtime_ns
    assert json.loads((folder / "optimizer.name=momentum" / "summary.json").read_text())["status"] == "stopped"
    assert (folder / "optimizer.name=momentum" / "last.pt").exists()
    assert not (folder / "optimizer.name=adam").exists()
    assert not json.loads((folder / "sweep.json").read_text())["finished"]

    monkeypatch.setattr(loop, "iter_training", real)
    calls.clear()
    assert main(cmd) == 0
    out = capsys.readouterr().out
    assert _sweep_dirs(tiny) == [folder]                         # the same sweep folder
    assert "continuing the unfinished sweep" in out and "optimizer=sgd: already completed, skipped" in out
    assert (folder / "optimizer.name=sgd" / "summary.json").stat().st_mtime_ns == first
    mom = json.loads((folder / "optimizer.name=momentum" / "summary.json").read_text())
    assert mom["status"] == "completed" and mom["epochs_run"] == 1
    metrics = (folder / "optimizer.name=momentum" / "metrics.jsonl").read_text()
    assert f'"resumed_from": "runs/{folder.name}/optimizer.name=momentum/last.pt"' in metrics
    hashes = {json.loads((folder / r / "summary.json").read_text())["init_sha256"]
              for r in ("optimizer.name=sgd", "optimizer.name=momentum", "optimizer.name=adam")}
    assert len(hashes) == 1
    assert json.loads((folder / "sweep.json").read_text())["finished"]
    # --resume SWEEPDIR on a finished sweep reprints the table, training nothing
    assert main(["--batch", "--resume", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("already completed, skipped") == 3 and "| optimizer=adam " in out


# ----------------------------------------------------------------------------- in Chinese (issue 20)

SWEEP = ["--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,adam", "--quiet"]


def test_the_sweeps_own_lines_in_english_are_unchanged(tiny, capsys):
    from tests.cli_text_zh import has_chinese

    assert main(SWEEP) == 0
    out = capsys.readouterr().out
    (folder,) = _sweep_dirs(tiny)
    assert not has_chinese(out)
    assert f"sweep: 2 runs of tiny.yaml (train.optimizer.name=sgd,adam) in runs/{folder.name}" in out
    assert f"sweep folder: runs/{folder.name}  (sweep.json, table.md, one run folder per row)" in out
    assert main(["--batch", "--resume", str(folder), "--quiet"]) == 0
    assert "[2/2] optimizer=adam: already completed, skipped" in capsys.readouterr().out


@pytest.mark.usefixtures("chinese")
def test_a_sweep_in_chinese_and_its_files_stay_english(tiny, capsys):
    from tests.cli_text_zh import has_chinese

    assert main(["--lang", "zh", *SWEEP]) == 0
    out = capsys.readouterr().out
    (folder,) = _sweep_dirs(tiny)
    assert f"扫参：tiny.yaml 共 2 次运行（train.optimizer.name=sgd,adam），位于 runs/{folder.name}" in out
    assert f"扫参文件夹：runs/{folder.name}  （sweep.json、table.md，表中每行一个运行文件夹）" in out
    assert "sweep: " not in out and "sweep folder" not in out
    assert main(["--lang", "zh", "--batch", "--resume", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "[1/2] optimizer=sgd：已完成，跳过" in out and "[2/2] optimizer=adam：已完成，跳过" in out
    assert "already" not in out and "skipped" not in out
    # the files a sweep writes are read by programs: English whatever the language
    assert not has_chinese((folder / "sweep.json").read_text(encoding="utf-8"))
    assert not has_chinese((folder / "table.md").read_text(encoding="utf-8"))
    rc = main(["--lang", "zh", "--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,adam", "--dry-run"])
    err = capsys.readouterr().err
    assert rc == 0 and "扫参：tiny.yaml 共 2 次运行（train.optimizer.name=sgd,adam），均已检查；下面预览的是不含扫参取值的原文件" in err
    assert "  [1/2] optimizer=sgd" in err


@pytest.mark.usefixtures("chinese")
def test_sweep_mistakes_in_chinese(tiny, capsys, monkeypatch):
    (tiny / "full").mkdir()
    (tiny / "full" / "x.txt").write_text("x")
    for args, words in (
            (["--batch", "--sweep", "train.lr=0.1,0.01"], "tui-dl: --sweep 需要一个实验文件或预设，例如 tui-dl --batch"),
            (["--batch", "--resume", str(tiny / "full"), "--sweep", "train.lr=0.1,0.01"],
             f"--resume {tiny / 'full'}：那里没有 sweep.json；请给出扫参文件夹"),
            (["--batch", "tiny.yaml", "--out", "full", "--sweep", "train.lr=0.1,0.01"],
             "--out full 不是空的，里面也没有扫参：请选一个空文件夹或新文件夹")):
        rc = main(["--lang", "zh", *args])
        out, err = capsys.readouterr()
        assert rc == 2 and words in err and len(err.strip().splitlines()) == 1, err
    import tui_dl.cli.sweep as sweep

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "_run_sweep", interrupted)
    assert main(["--lang", "zh", *SWEEP]) == 130
    assert "在两次运行之间被中断：再运行一次同样的命令即可继续扫参" in capsys.readouterr().err
