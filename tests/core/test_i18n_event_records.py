"""Notices and a divergence's advice are stored in English in the run folder (with their English source and the
values of its placeholders) and translated where they are shown: a run trained in Chinese reads in English and
the other way round; records of older runs, without a source, still show their text."""

from __future__ import annotations

import json

import pytest

from tui_dl.core.config.experiment import experiment_from_data
from tui_dl.core.data import load_dataset
from tui_dl.core.i18n import N_
from tui_dl.core.training import events as E
from tui_dl.core.training.divergence import DivergenceGuard
from tui_dl.core.training.loop import iter_training

MLP = [{"type": "Linear", "out_features": 8}, {"type": "Tanh"}, {"type": "Linear", "out_features": 2},
       {"type": "Softmax"}]  # the Softmax before cross_entropy makes a warning notice


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", num_samples=200, val_split=0.1, seed=0)


def train_in(tmp_path, moons) -> list[dict]:
    exp = experiment_from_data({"name": "t", "input": [2], "layers": MLP, "data": {"name": "moons"},
                                "train": {"epochs": 1, "threads": 1, "checkpoints": False}}, "test")
    list(iter_training(exp, run_dir=tmp_path / "run", data=moons))
    lines = (tmp_path / "run" / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def notices(records):
    return [r for r in records if r["event"] == "notice"]


def test_a_run_in_chinese_writes_english_records_that_show_in_either_language(tmp_path, moons, chinese):
    from tui_dl.core import i18n

    records = train_in(tmp_path, moons)
    found = notices(records)
    assert found, records
    text = (tmp_path / "run" / "metrics.jsonl").read_text(encoding="utf-8")
    assert not has_cjk(text), "metrics.jsonl (the run's events) must not depend on the language"
    summary = (tmp_path / "run" / "summary.json").read_text(encoding="utf-8")
    assert not has_cjk(summary)
    warning = next(r for r in found if "ends with Softmax" in r["message"])
    assert warning["msgid"].startswith("the network ends with Softmax") and warning["args"] == {}
    opt = next(r for r in found if r["message"].startswith("optimizer "))
    assert opt["args"]["threads"] == 1 and "{optimizer}" in opt["msgid"]
    # shown now, in Chinese
    assert has_cjk(E.notice_text(warning)) and "cross_entropy" in E.notice_text(warning)
    shown = E.notice_text(opt)
    assert shown.startswith("优化器 ") and "1 个 CPU 线程" in shown
    # the same records, replayed, in English
    i18n.set_language("en")
    assert E.notice_text(opt) == opt["message"]
    assert E.notice_text(E.event_from_dict(warning)) == warning["message"]


def test_records_of_older_runs_without_a_source_still_show(chinese):
    old = {"event": "notice", "level": "info", "message": "a free text from an older tui-dl"}
    assert E.notice_text(old) == "a free text from an older tui-dl"
    assert E.notice_text(E.event_from_dict(old)) == "a free text from an older tui-dl"
    # an old record whose whole text is a message of the catalog still shows translated
    assert E.notice_text({"message": "Dropout draws random numbers"}) == "Dropout（随机失活）要抽取随机数"
    # an edited file: a source whose placeholders do not fit shows the stored English
    assert E.notice_text({"message": "stored", "msgid": "resumed with {settings}", "args": {}}) == "stored"


def test_a_notice_made_from_english_keeps_its_source_and_values():
    n = E.Notice("info", E.english(N_("resumed with {settings}"), settings="train.lr=0.1"))
    assert n.message == "resumed with train.lr=0.1" and type(n.message) is str
    d = E.event_to_dict(n)
    assert d == {"level": "info", "message": "resumed with train.lr=0.1", "msgid": "resumed with {settings}",
                 "args": {"settings": "train.lr=0.1"}, "event": "notice"}
    assert E.event_from_dict(json.loads(json.dumps(d))) == n
    assert E.notice_text(n) == "resumed with train.lr=0.1"  # English by default


def test_hostile_args_are_refused_on_replay():
    bad = {"event": "notice", "level": "info", "message": "x", "msgid": "{a}", "args": {"a": [1, 2]}}
    with pytest.raises(ValueError):
        E.event_from_dict(bad)
    with pytest.raises(ValueError):
        E.event_from_dict({**bad, "args": "not a mapping"})


def divergence():
    return DivergenceGuard(1.0).event(float("nan"), epoch=1, step=7, lr=0.5, grad_clip=None, loss_name="mse")


def test_the_divergence_advice_is_stored_in_english_and_shown_translated(chinese):
    from tui_dl.core import i18n

    d = divergence()
    assert d.advice.startswith("learning rate too high: try lr=0.05 (or set train.grad_clip")
    rec = json.loads(json.dumps(E.event_to_dict(d)))
    assert not has_cjk(json.dumps(rec, ensure_ascii=False))
    shown = E.advice_text(rec)
    assert shown.startswith("学习率太高：试试 lr=0.05") and "第 7 步" in shown and "train.grad_clip" in shown
    i18n.set_language("en")
    assert E.advice_text(rec) == d.advice
    assert E.advice_text({"advice": "old advice"}) == "old advice"


def test_a_hint_inside_an_advice_is_translated_too(chinese):
    guard = DivergenceGuard(1.0, min_loss=0.0, below_min_hint=E.english(N_(
        "nll expects log-probabilities (which are never above 0), but the network ends with {last}, not LogSoftmax, "
        "so the loss can fall without limit. Add a LogSoftmax layer at the end, or use loss: cross_entropy (it "
        "applies log-softmax itself)"), last="Linear"))
    d = guard.event(-3.0, epoch=1, step=2, lr=0.1, grad_clip=None, loss_name="nll")
    rec = E.event_to_dict(d)
    assert "nll fell to -3 at step 2" in d.advice and "ends with Linear" in d.advice
    shown = E.advice_text(json.loads(json.dumps(rec)))
    assert "第 2 步" in shown and "以 Linear 结尾" in shown and "LogSoftmax" in shown
