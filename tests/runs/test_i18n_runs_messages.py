"""The run folder's messages for people (a damaged or foreign checkpoint, `tui-dl check`'s expectations, a busy
run folder) speak the current language; English stays the source and the default."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.runs.checkpoint import CheckpointError, atomic_save, load_checkpoint, make_checkpoint
from tui_dl.core.runs.checkpoint_check import DamagedCheckpoint, check_fields, damaged
from tui_dl.core.runs.expect import ExpectError, check, parse


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def damaged_checkpoint(tmp_path):
    """A checkpoint whose optimizer learning rate is text (a hand-edited file)."""
    ck = make_checkpoint(model={"0.weight": torch.zeros(2, 2)}, spec={}, experiment={},
                         optimizer={"state": {}, "param_groups": [{"params": [0], "lr": "fast"}]})
    return atomic_save(ck, tmp_path / "last.pt")


def test_a_damaged_checkpoint_is_named_in_english_by_default(tmp_path):
    path = damaged_checkpoint(tmp_path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    assert str(e.value) == (f"{path}: this checkpoint is damaged: optimizer.param_groups[0].lr should be a number, "
                            "but it is text. Use another checkpoint of the run (best.pt or last.pt), or train again; "
                            "tui-dl never repairs a checkpoint by guessing.")


def test_a_damaged_checkpoint_in_chinese_keeps_the_field_and_the_path(tmp_path, chinese):
    path = damaged_checkpoint(tmp_path)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path)
    text = str(e.value)
    assert text.startswith(f"{path}：这个检查点已损坏：optimizer.param_groups[0].lr 应为数字，但它是文本。")
    assert "best.pt" in text and "last.pt" in text and text.endswith("。")
    assert " 。" not in text and "。 " not in text
    with pytest.raises(DamagedCheckpoint) as d:
        check_fields({"history": [{"step": 1}]})
    assert d.value.field == "history[0].epoch" and d.value.problem == "缺失"
    assert "缺失（继续训练需要它）" in damaged("x.pt", "rng", "缺失（继续训练需要它）")


def test_foreign_files_given_as_a_checkpoint_in_chinese(tmp_path, chinese):
    yaml = tmp_path / "exp.yaml"
    yaml.write_text("name: x\n")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(yaml)
    assert "是 YAML 实验文件，不是检查点" in str(e.value) and f"tui-dl --batch {yaml}" in str(e.value)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"hello world")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(junk)
    assert "无法作为检查点读取" in str(e.value) and "zip" in str(e.value)
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "nowhere")
    assert "没有这个运行文件夹或检查点" in str(e.value)
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(tmp_path / "other.pt")
    assert "不是 tui-dl 的检查点" in str(e.value) and "'format: tui-dl-checkpoint'" in str(e.value)


def summary(status="completed"):
    return {"status": status, "test_accuracy": 0.9 if status == "completed" else None, "epochs_run": 3,
            "history": []}


def test_expectations_in_chinese_say_what_to_write(chinese):
    with pytest.raises(ExpectError) as e:
        parse("test_accuracy=>0.9")
    assert "请写 >=（= 在后），例如 test_accuracy>=0.9" in str(e.value)
    with pytest.raises(ExpectError) as e:
        parse("test_accuracy>=0.9,epochs<=5")
    assert "--expect" in str(e.value) and has_cjk(str(e.value))
    with pytest.raises(ExpectError) as e:
        check(summary(), [parse("status==finished")])
    assert "status==completed" in str(e.value) and has_cjk(str(e.value))
    with pytest.raises(ExpectError) as e:
        check(summary(), [parse("test_acuracy>=0.9")])
    assert "没有字段 'test_acuracy'" in str(e.value) and "'test_accuracy'" in str(e.value)
    failed = check(summary("stopped"), [parse("test_accuracy>=0.9")], run="runs/bob")
    assert failed == ["FAILED test_accuracy>=0.9：test_accuracy 的值是 null（这次运行在 3 轮后、测试前被停止；"
                      "继续训练：tui-dl --batch --resume runs/bob）"]


def test_expectations_are_unchanged_in_english():
    failed = check(summary("diverged"), [parse("test_accuracy>=0.9")])
    assert failed == ["FAILED test_accuracy>=0.9: test_accuracy is null (the run diverged in epoch 4: it has no "
                      "test result)"]
    assert check(summary("stopped"), [parse("test_accuracy>=0.9")], run="r")[0].endswith(
        "(the run was stopped after 3 epochs, before its test; continue it with: tui-dl --batch --resume r)")


def test_a_busy_run_folder_in_chinese(tmp_path, chinese):
    from tui_dl.core.runs.lock import RunFolderBusy, RunLock

    with RunLock(tmp_path):
        with pytest.raises(RunFolderBusy) as e:
            RunLock(tmp_path).acquire()
    assert f"运行文件夹 {tmp_path} 正在使用" in str(e.value) and "--out" in str(e.value)


def test_a_run_row_reason_stays_english_in_json_and_shows_translated(tmp_path, chinese):
    import json

    from tui_dl.core.runs.scan import read_run, reason_text

    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"hello": 1}))
    info = read_run(folder)
    assert info.status == "foreign"
    assert json.loads(json.dumps(info.to_dict()))["reason"] == "summary.json was not written by tui-dl"
    assert reason_text(info.reason) == "summary.json 不是 tui-dl 写的"
    assert reason_text("a reason from elsewhere") == "a reason from elsewhere"


def test_the_sweep_table_is_english_in_its_files_and_translated_when_shown(chinese):
    from tui_dl.core.i18n import text_width
    from tui_dl.core.runs.sweep_record import log_table, sweep_table

    row = {"label": "lr=0.1", "status": "completed", "best_val_accuracy": 0.9, "final_train_loss": 0.2,
           "test_accuracy": 0.88, "seconds": 3.0, "images_per_second": 1000.0, "init_sha256": "ab" * 32,
           "settings": [("train.lr", 0.1)]}
    files = sweep_table([row, {**row, "label": "lr=0.01"}])
    assert files[0].startswith("| run ") and "every run started from the same initial weights" in files[-1]
    shown = sweep_table([row, {**row, "label": "lr=0.01"}], shown=True)
    assert "最佳验证准确率" in shown[0] and shown[-1].startswith("每次运行都从相同的初始权重开始")
    assert len({text_width(line) for line in shown[:4]}) == 1  # the columns line up in cells
    log = log_table([row])
    assert "最佳验证" in log[0] and text_width(log[0].split("最佳验证")[0]) == text_width(log[1].split("90.0%")[0])


def test_a_diverged_row_shows_the_first_sentence_of_its_advice_in_chinese(tmp_path, chinese):
    import json

    from tui_dl.core.runs.scan import read_run, reason_text
    from tui_dl.core.training.divergence import DivergenceGuard
    from tui_dl.core.training.events import event_to_dict

    div = event_to_dict(DivergenceGuard(0.8).event(1e4, epoch=2, step=23, lr=1000, grad_clip=None))
    folder = tmp_path / "run"
    folder.mkdir()
    lines = [{"event": "started", "name": "x", "epochs": 2}, div]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    info = read_run(folder)
    assert info.status == "diverged"
    english = "at epoch 2, step 23: learning rate too high: try lr=100 (or set train.grad_clip, e.g. 1.0)"
    assert info.to_dict()["reason"] == english and str(info.reason) == english
    assert reason_text(info.reason) == "第 2 轮第 23 步：学习率太高：试试 lr=100（或设置 train.grad_clip，例如 1.0）"
    old = {k: v for k, v in div.items() if not k.startswith("advice_")}  # a run of an older tui-dl
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in [lines[0], old]))
    assert reason_text(read_run(folder).reason) == "第 2 轮第 23 步：" + english.split(": ", 1)[1]
