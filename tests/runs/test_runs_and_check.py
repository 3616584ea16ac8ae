"""`tui-dl runs` over a folder of finished, interrupted, diverged, running, killed, broken and foreign runs, and
`tui-dl check`'s exit codes (issue 17, items 2 and 3). One real run; the others are written as the trainer
writes them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import pytest

from tests.runs.helpers import train
from tui_dl.cli.main import main
from tui_dl.core.runs.expect import ExpectError, check, parse
from tui_dl.core.runs.lock import LOCK_NAME, RunLock


def _started(name="Toy", epochs=3):
    return {"event": "started", "name": name, "run_dir": "x", "device": "cpu", "device_name": "CPU (1 thread)",
            "dataset": "moons", "train_size": 10, "val_size": 2, "test_size": 2, "epochs": epochs,
            "steps_per_epoch": 1, "params": 5}


def _epoch(e, acc, best=True):
    return {"event": "epoch", "epoch": e, "epochs": 3, "step": e, "train_loss": 1.0, "train_accuracy": 0.5,
            "val_loss": 1.0, "val_accuracy": acc, "lr": 0.1, "seconds": 2.0, "images_per_second": 100.0,
            "is_best": best}


def _write(folder, events, extra=""):
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events) + extra)


def _dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    train(root / "a-finished", epochs=2)
    stopped = {"event": "finished", "status": "stopped", "run_dir": "x", "epochs_run": 1, "steps": 1,
               "seconds": 1.0, "train_images_per_second": 10.0}
    _write(root / "b-interrupted", [_started(), _epoch(1, 0.6), stopped])
    _write(root / "c-diverged", [_started(), _epoch(1, 0.6), {"event": "diverged", "epoch": 2, "step": 2,
                                                              "loss": "nan", "first_loss": 1.0, "reason": "nan",
                                                              "advice": "lower lr"},
                                 {**stopped, "status": "diverged"}])
    _write(root / "d-running", [_started(), _epoch(1, 0.7)])
    _write(root / "e-killed", [_started(), _epoch(1, 0.7), _epoch(2, 0.65, best=False)], extra='{"event": "st')
    (root / "e-killed" / LOCK_NAME).write_text(json.dumps({"pid": _dead_pid(), "host": os.uname().nodename,
                                                           "since": "now"}))
    (root / "f-broken").mkdir()
    (root / "f-broken" / "summary.json").write_text("{not json")
    (root / "g-foreign").mkdir()
    (root / "g-foreign" / "summary.json").write_text('{"loss": 0.1}')
    (root / "nested" / "deeper").mkdir(parents=True)
    _write(root / "nested" / "deeper" / "h-nostart", [{"event": "epoch", "epoch": 1}])
    (root / "notes").mkdir()  # a folder without run files is not listed
    (root / "notes" / "readme.txt").write_text("hi")
    return root


def _json_rows(capsys, *args):
    capsys.readouterr()
    assert main(["runs", *map(str, args), "--json"]) == 0
    return {os.path.basename(r["path"]): r for r in json.loads(capsys.readouterr().out)}


def test_runs_lists_every_folder_with_its_status(runs_dir, capsys):
    with RunLock(runs_dir / "d-running"):  # a live writer (this process) holds it
        rows = _json_rows(capsys, runs_dir)
    assert {k: r["status"] for k, r in rows.items()} == {
        "a-finished": "finished", "b-interrupted": "interrupted", "c-diverged": "diverged", "d-running": "running",
        "e-killed": "interrupted", "f-broken": "broken", "g-foreign": "foreign", "h-nostart": "broken"}
    a = rows["a-finished"]
    assert a["experiment"] == "Toy MLP" and a["dataset"] == "moons" and a["epochs"] == 2
    assert 0 <= a["test_accuracy"] <= 1 and a["best_val_accuracy"] is not None and a["device"].startswith("CPU")
    assert a["final_val_accuracy"] is not None and a["train_seconds"] > 0 and a["images_per_second"] > 0
    assert "killed" in rows["e-killed"]["reason"] and rows["e-killed"]["epochs"] == 2
    assert rows["e-killed"]["best_val_accuracy"] == 0.7 and rows["e-killed"]["final_val_accuracy"] == 0.65
    assert "not valid JSON" in rows["f-broken"]["reason"] and "started" in rows["h-nostart"]["reason"]
    assert "not written by tui-dl" in rows["g-foreign"]["reason"]
    assert "--resume" in rows["b-interrupted"]["reason"]


def test_without_the_lock_a_run_with_no_final_event_is_interrupted(runs_dir, capsys):
    assert _json_rows(capsys, runs_dir / "d-running")["d-running"]["status"] == "interrupted"


def test_text_csv_markdown_and_sort(runs_dir, capsys):
    capsys.readouterr()
    assert main(["runs", str(runs_dir), "--sort", "final_val_accuracy", "--reverse"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["run", "experiment", "dataset", "status"]
    names = [line.split()[0] for line in out[1:]]
    assert names[:2] == ["d-running", "e-killed"] or names[:2] == ["e-killed", "d-running"]  # 70%, 65%...
    assert "Traceback" not in "\n".join(out)
    assert main(["runs", str(runs_dir), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 8 and {"path", "status", "test_accuracy", "reason"} <= set(rows[0])
    assert main(["runs", str(runs_dir), "--md"]) == 0
    md = capsys.readouterr().out.splitlines()
    assert md[0].startswith("| run | experiment") and md[1].startswith("|---") and len(md) == 10


def test_a_missing_folder_is_a_row_and_a_bad_sort_key_is_exit_2(tmp_path, capsys):
    rows = _json_rows(capsys, tmp_path / "nope")
    assert rows["nope"]["status"] == "broken" and rows["nope"]["reason"] == "no such folder"
    with pytest.raises(SystemExit) as e:
        main(["runs", str(tmp_path), "--sort", "colour"])
    assert e.value.code == 2


# -- check ----------------------------------------------------------------------------------------------


def test_check_exit_codes(runs_dir, capsys):
    run = str(runs_dir / "a-finished")
    summary = json.loads((runs_dir / "a-finished" / "summary.json").read_text())
    acc = summary["test_accuracy"]
    capsys.readouterr()
    assert main(["check", run, "--expect", f"test_accuracy>={acc}", "--expect", "epochs<=5",
                 "-e", "status==completed", "-e", "best.epoch>=1"]) == 0
    assert capsys.readouterr().out.startswith("ok: all 4 expectations hold")
    assert main(["check", run, "-e", f"test_accuracy>{acc}", "-e", "epochs<=5", "-e", "status!=completed"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith(f"FAILED test_accuracy>{acc}: test_accuracy is ")
    assert out[1] == "FAILED status!=completed: status is 'completed'"
    for bad in ("test_accuracy=>0.9", "test_accuracy>=", "test_accuracy", "__import__('os')>1",
                "test_accuracy>=high", "no_such_key>=1"):
        assert main(["check", run, "-e", bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("tui-dl check: ") and "Traceback" not in err, err
    assert main(["check", str(runs_dir / "d-running"), "-e", "epochs>=1"]) == 2
    assert "has no summary.json" in capsys.readouterr().err
    assert main(["check", str(runs_dir / "f-broken"), "-e", "epochs>=1"]) == 2
    assert main(["check", str(runs_dir / "nope"), "-e", "epochs>=1"]) == 2


def test_expectations_parse_without_eval():
    s = {"test_accuracy": 0.975, "epochs_run": 5, "final": {"val_accuracy": 0.9}, "status": "completed",
         "per_class_accuracy": [0.5, 1.0], "best": {"val_loss": "nan"}, "fallback_reason": "", "t": None,
         "channels_last": True}
    ok = ["test_accuracy>=0.97", "test_accuracy >= 97%", "epochs==5", "val_accuracy<0.95", "status=='completed'",
          "per_class_accuracy.1==1", "per_class_accuracy.-1>0.9", "t==null", "channels_last==true",
          "epochs!=6", "test_accuracy<=1e0"]
    assert check(s, [parse(x) for x in ok]) == []
    fails = check(s, [parse("best.val_loss<1"), parse("t>0"), parse("channels_last==false")])
    assert len(fails) == 3 and "is 'nan'" in fails[0] and "is null" in fails[1]
    with pytest.raises(ExpectError, match="did you mean|Did you mean"):
        check(s, [parse("test_acuracy>=0.9")])
    with pytest.raises(ExpectError, match="== or !="):
        parse("status>=completed")
