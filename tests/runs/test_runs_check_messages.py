"""`tui-dl runs` and `tui-dl check` as a TA uses them on a class's folders (the CLI walk-through): messages that
say what to write, names that tell two students' runs apart."""

from __future__ import annotations

import json

import pytest

from tui_dl.cli.main import main
from tui_dl.core.runs.expect import ExpectError, check, parse


def _summary(status="completed", **kw):
    return {"status": status, "test_accuracy": 0.9 if status == "completed" else None, "epochs_run": 3,
            "history": [], **kw}


def _run(folder, status="completed"):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(_summary(status, name="Toy", run_dir=str(folder))))
    return folder


def test_reversed_operator_says_to_write_it_the_other_way():
    with pytest.raises(ExpectError, match=r"write >= \(the = comes second\), e.g. test_accuracy>=0.9"):
        parse("test_accuracy=>0.9")
    with pytest.raises(ExpectError, match="write <="):
        parse("epochs=<5")


def test_several_expectations_in_one_say_to_repeat_expect():
    for text in ("test_accuracy>=0.9,epochs<=5", "test_accuracy>=0.9 and epochs<5"):
        with pytest.raises(ExpectError, match="give each its own --expect"):
            parse(text)


def test_status_compared_with_the_runs_table_word_is_a_mistake_not_a_failure():
    # `tui-dl runs` shows "finished"; summary.json says "completed": a silent FAILED for every student otherwise
    with pytest.raises(ExpectError, match="write status==completed"):
        check(_summary(), [parse("status==finished")])
    with pytest.raises(ExpectError, match="one of completed, early_stopped"):
        check(_summary(), [parse("status!=done")])
    assert check(_summary(), [parse("status==completed"), parse("status!=stopped")]) == []


def test_a_missing_test_result_says_why(tmp_path, capsys):
    run = _run(tmp_path / "bob", "stopped")
    capsys.readouterr()
    assert main(["check", str(run), "-e", "test_accuracy>=0.9"]) == 1
    out = capsys.readouterr().out
    assert "test_accuracy is null (the run was stopped after 3 epochs" in out and f"--resume {run}" in out
    assert check(_summary("diverged"), [parse("test_accuracy>=0.9")])[0].endswith(
        "(the run diverged in epoch 4: it has no test result)")


def test_a_folder_that_is_not_a_run_is_named_so(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    capsys.readouterr()
    assert main(["check", str(tmp_path / "notes"), "-e", "epochs>=1"]) == 2
    err = capsys.readouterr().err
    assert "is not a run folder" in err and "has not finished" not in err


def test_runs_names_nested_runs_by_their_path_under_the_folder_given(tmp_path, capsys):
    _run(tmp_path / "class" / "sec1" / "alice")
    _run(tmp_path / "class" / "sec2" / "alice")
    capsys.readouterr()
    assert main(["runs", str(tmp_path / "class"), "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["sec1/alice", "sec2/alice"]
    assert main(["runs", str(tmp_path / "class" / "sec1" / "alice"), "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["alice"]


def test_check_on_a_folder_of_runs_says_to_check_each(tmp_path, capsys):
    _run(tmp_path / "class" / "alice")
    _run(tmp_path / "class" / "bob")
    capsys.readouterr()
    assert main(["check", str(tmp_path / "class"), "-e", "epochs>=1"]) == 2
    err = capsys.readouterr().err
    assert "is not a run folder but holds 2" in err and "for d in" in err and err.count("\n") == 1


def test_a_diverged_run_row_says_where_and_what_to_try(tmp_path, capsys):
    run = tmp_path / "div"
    run.mkdir()
    started = {"event": "started", "name": "Toy", "run_dir": "x", "device": "cpu", "dataset": "moons", "epochs": 2}
    div = {"event": "diverged", "epoch": 1, "step": 3, "loss": 1e7, "first_loss": 2.3, "reason": "exploded",
           "advice": "learning rate too high: try lr=10 (or set train.grad_clip, e.g. 1.0). The loss exploded."}
    fin = {"event": "finished", "status": "diverged", "run_dir": "x", "epochs_run": 0, "steps": 3}
    (run / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in (started, div, fin)))
    capsys.readouterr()
    assert main(["runs", str(run), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "diverged"
    assert row["reason"] == "at epoch 1, step 3: learning rate too high: try lr=10 (or set train.grad_clip, e.g. 1.0)"


def test_an_expectation_written_in_percent_shows_the_value_in_percent_too():
    (line,) = check(_summary(), [parse("test_accuracy >= 97%")])
    assert line == "FAILED test_accuracy >= 97%: test_accuracy is 0.9 (90.00%)"
    assert check(_summary(), [parse("test_accuracy>=0.97")]) == ["FAILED test_accuracy>=0.97: test_accuracy is 0.9"]
