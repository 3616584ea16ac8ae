"""Checkpoints: weights_only round trip with identical logits, refusal of pickled objects, damaged files,
atomic writes that keep the old file when the disk fills up, RNG state round trip."""

from __future__ import annotations

import errno
import random

import numpy as np
import pytest
import torch

from tui_dl.core.runs import checkpoint as ckpt_mod
from tui_dl.core.model.build import build_model
from tui_dl.core.runs.checkpoint import (CheckpointError, atomic_save, load_checkpoint, model_from_checkpoint, rng_state,
                                    save_checkpoint, set_rng_state)
from tui_dl.core.config.experiment import load_experiment


class Evil:
    """Stands for any pickled object: a checkpoint holding one must be refused, not executed."""

    def __reduce__(self):
        return (print, ("this would run code",))


@pytest.fixture(scope="module")
def lenet():
    exp = load_experiment("presets/lenet5.yaml")
    torch.manual_seed(3)
    return exp, build_model(exp.network)


def test_round_trip_with_weights_only_gives_identical_logits(lenet, tmp_path):
    exp, model = lenet
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(5, 1, 28, 28)
    model(x).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "a.pt", model=model.state_dict(), optimizer=opt.state_dict(),
                    spec=exp.network.to_dict(), experiment=exp.to_dict(), rng=rng_state(), epoch=1, step=7)
    raw = torch.load(tmp_path / "a.pt", weights_only=True)  # plain torch can read it safely
    assert raw["format"] == "tui-dl-checkpoint" and raw["step"] == 7 and isinstance(raw["torch_version"], str)
    again, ck = model_from_checkpoint(tmp_path / "a.pt")
    model.eval()
    with torch.no_grad():
        assert torch.equal(again(x), model(x))
    opt2 = torch.optim.Adam(again.parameters(), 1e-3)
    opt2.load_state_dict(ck["optimizer"])
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_pickled_object_is_refused_with_a_clear_error(lenet, tmp_path):
    exp, model = lenet
    path = tmp_path / "evil.pt"
    torch.save({"format": "tui-dl-checkpoint", "model": model.state_dict(), "payload": Evil()}, path)
    with pytest.raises(CheckpointError, match="not a tui-dl checkpoint, or it is unsafe"):
        load_checkpoint(path)
    whole_model = tmp_path / "module.pt"
    torch.save(model, whole_model)  # the classic torch.save(model) file: a pickled nn.Module
    with pytest.raises(CheckpointError, match="unsafe"):
        load_checkpoint(whole_model)


def test_foreign_damaged_and_missing_files(tmp_path):
    torch.save({"state_dict": {"w": torch.zeros(1)}}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a tui-dl checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="no such run folder or checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "emptyrun").mkdir()
    with pytest.raises(CheckpointError, match="has no last.pt"):
        load_checkpoint(tmp_path / "emptyrun")


def test_disk_full_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    atomic_save({"format": "tui-dl-checkpoint", "v": torch.tensor([1.0])}, path)

    def full_disk(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt_mod.torch, "save", full_disk)
    with pytest.raises(OSError):
        atomic_save({"format": "tui-dl-checkpoint", "v": torch.tensor([2.0])}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["v"].item() == 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temp file left behind


def test_rng_states_round_trip_as_plain_data(tmp_path):
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)
    state = rng_state()
    atomic_save({"rng": state}, tmp_path / "r.pt")
    a = (torch.rand(3), random.random(), np.random.rand())
    set_rng_state(torch.load(tmp_path / "r.pt", weights_only=True)["rng"])
    b = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(a[0], b[0]) and a[1] == b[1] and a[2] == b[2]


@pytest.mark.parametrize("entry,value", [
    ("position", "epoch 2"), ("position", {"epoch": "two", "batch": 0}), ("optimizer", {"state": 5}),
    ("shuffle_state", [1, 2, 3]), ("rng", {"torch": None}), ("epoch_state", {"nb": None}),
    ("best_model", {"0.weight": "zeros"}), ("history", 7),
])
def test_a_checkpoint_whose_training_state_is_garbage_is_refused_by_name(entry, value, tmp_path):
    """A file that reads back (right format, right checksums) but holds the wrong kind of value in one entry:
    resuming names the file and says it is damaged, rather than a KeyError or TypeError from torch."""
    from tests.core.test_train import lenet_exp, run
    from tui_dl.core.data import load_dataset
    from tui_dl.core.training.loop import iter_training

    digits = load_dataset("synthetic-digits", num_samples=100, val_split=0.1, seed=0, input_shape=(1, 28, 28))
    run(lenet_exp(epochs=1, threads=1, limit_batches=2), tmp_path, digits, name="r")
    ck = load_checkpoint(tmp_path / "r")
    ck[entry] = value
    if entry == "epoch_state":
        ck["position"]["batch"] = 1
    torch.save(ck, tmp_path / "r" / "last.pt")
    with pytest.raises(CheckpointError, match=rf"last\.pt: this checkpoint is damaged: {entry}"):
        list(iter_training(None, resume=tmp_path / "r", data=digits))
