"""The trainer's texts for people (diagnoses, errors) speak the current language; English stays the source."""

from __future__ import annotations

import errno

import torch

from tui_dl.core.training.diagnosis import Diagnoser, short
from tui_dl.core.training.errors import oom_error, write_error
from tui_dl.core.training.events import EpochDone


def epoch(i, tl, vl):
    return EpochDone(epoch=i, epochs=9, step=i, train_loss=tl, train_accuracy=None, val_loss=vl,
                     val_accuracy=None, lr=1e-3, seconds=1, images_per_second=1)


def overfitting_message():
    d = Diagnoser()
    d.add(epoch(1, 1.0, 0.5))
    d.add(epoch(2, 0.8, 0.6))
    found = dict(d.add(epoch(3, 0.6, 0.7)))
    return found["overfitting"]


def full_disk():
    return write_error("could not write /tmp/run/last.pt", OSError(errno.ENOSPC, "No space left on device"),
                       resume="/tmp/run", kept=True)


def test_the_overfitting_diagnosis_is_english_by_default():
    msg = overfitting_message()
    assert msg.startswith("overfitting: since epoch 1 the training loss keeps falling (1.0000 → 0.6000)")
    assert "Try early stopping" in msg
    assert short("overfitting").startswith("overfitting:")


def test_the_overfitting_diagnosis_in_chinese_uses_the_course_terms(chinese):
    msg = overfitting_message()
    assert msg.startswith("过拟合：从第 1 轮起") and "早停" in msg
    assert "1.0000 → 0.6000" in msg and "0.5000 → 0.7000" in msg
    assert short("overfitting").startswith("过拟合") and short("nothing", "x") == "x"


def test_errors_are_english_by_default():
    assert str(full_disk()) == ("could not write /tmp/run/last.pt: No space left on device. The previous checkpoint is "
                                "kept. Free some disk space, then continue with: tui-dl --batch --resume /tmp/run")
    assert str(oom_error(64, torch.device("cpu"))).startswith("out of memory on the CPU with batch_size 64")


def test_errors_in_chinese_keep_the_command_and_the_setting(chinese):
    text = str(full_disk())
    assert "检查点已保留" in text and "磁盘空间" in text and "tui-dl --batch --resume /tmp/run" in text
    oom = str(oom_error(64, torch.device("cpu")))
    assert "内存不足" in oom and "--set train.batch_size=32" in oom
