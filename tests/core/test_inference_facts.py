"""Every checkpoint and summary.json carry what inference needs: the input shape, the class names and the
normalisation the trainer applied (mean/std computed from the training images for idx, image-folder and
synthetic sets). With only the checkpoint, new samples are fed exactly as in training (issue 13 item 16)."""

from __future__ import annotations

import json

import pytest
import torch

from tests.core.test_data import _png, make_idx_folder
from tests.core.test_train import LENET, MLP2, make_exp, of, run
from tui_dl.core.data import load_dataset, normalize_batch
from tui_dl.core.runs.checkpoint import load_checkpoint, model_from_checkpoint
from tui_dl.core.training.events import Finished

TINY_CNN = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
            {"type": "MaxPool2d", "kernel_size": 2}, {"type": "Flatten"}]


def _image_folder(root):
    for i in range(6):
        _png(root / "cats" / f"c{i}.png", (12, 12), (200 - 5 * i, 180, 190))
        _png(root / "dogs" / f"d{i}.png", (12, 12), (20, 30 + 5 * i, 10))
    return root


def _dataset(kind, tmp_path):
    """(data section, loaded data, layers, input shape) for one dataset kind."""
    if kind == "synthetic-digits":
        section = {"name": "synthetic-digits", "num_samples": 200}
        return section, load_dataset(seed=0, val_split=0.1, input_shape=(1, 28, 28), **section), LENET, [1, 28, 28]
    if kind == "idx":
        make_idx_folder(tmp_path / "idx", n_train=60, n_test=20, size=12, n_classes=3)
        section = {"name": "idx", "root": str(tmp_path / "idx")}
        layers = TINY_CNN + [{"type": "Linear", "out_features": 3}]
        return section, load_dataset(seed=0, val_split=0.1, **section), layers, [1, 12, 12]
    if kind == "image-folder":
        section = {"name": "image-folder", "root": str(_image_folder(tmp_path / "pics")), "val_split": 0.0}
        layers = TINY_CNN + [{"type": "Linear", "out_features": 2}]
        data = load_dataset(seed=0, input_shape=(3, 12, 12), **section)
        return section, data, layers, [3, 12, 12]
    section = {"name": "moons", "num_samples": 200}
    return section, load_dataset(seed=0, val_split=0.1, **section), MLP2, [2]


@pytest.mark.parametrize("kind", ["synthetic-digits", "idx", "image-folder", "moons"])
def test_every_checkpoint_and_the_summary_carry_shape_classes_and_normalisation(kind, tmp_path):
    section, data, layers, shape = _dataset(kind, tmp_path)
    exp = make_exp(layers, shape, section, epochs=1, batch_size=16)
    ev = run(exp, tmp_path, data)
    fin = of(ev, Finished)[0]
    assert fin.status == "completed"
    d = tmp_path / "run"
    summary = json.loads((d / "summary.json").read_text())
    facts = summary["inference"]
    assert facts["input_shape"] == shape and facts["classes"] == [str(c) for c in data.classes]
    assert facts["mean"] == list(data.mean) and facts["std"] == list(data.std)
    if kind == "moons":  # float features, used as they are
        assert facts["mean"] == [] and facts["scale"] == 1.0 and facts["input_dtype"] == "float32"
        assert facts["normalization"] == "x * scale"
    else:  # uint8 images: x/255 then per-channel (x - mean) / std, mean/std from the training images
        assert facts["scale"] == pytest.approx(1 / 255) and facts["input_dtype"] == "uint8"
        assert len(facts["mean"]) == shape[0] == len(facts["std"])
        assert all(0.0 < m < 1.0 for m in facts["mean"]) and all(s > 0 for s in facts["std"])
    for key in ("classes", "status", "best", "history", "dataset"):  # the old keys stay
        assert key in summary
    for name in ("last.pt", "best.pt"):
        assert load_checkpoint(d / name)["inference"] == facts, name

    # inference from the checkpoint alone reproduces the run's test accuracy
    model, ck = model_from_checkpoint(d / "best.pt")
    inf = ck["inference"]
    x = data.test.x
    manual = x.to(torch.float32) * inf["scale"]
    if inf["mean"]:
        view = (1, -1) + (1,) * (x.dim() - 2)
        manual = (manual - torch.tensor(inf["mean"]).view(view)) / torch.tensor(inf["std"]).view(view)
    torch.testing.assert_close(manual, normalize_batch(x, data.mean, data.std), rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        pred = model(manual).argmax(1)
    assert tuple(manual.shape[1:]) == tuple(inf["input_shape"])
    assert (pred == data.test.y).float().mean().item() == pytest.approx(fin.test_accuracy)


def test_the_initial_and_interrupted_checkpoints_carry_them_too(tmp_path):
    import threading

    from tui_dl.core.training.events import StepDone
    from tui_dl.core.training.loop import iter_training

    section, data, layers, shape = _dataset("synthetic-digits", tmp_path)
    exp = make_exp(layers, shape, section, epochs=1, batch_size=16, log_every=1)
    stop = threading.Event()
    for ev in iter_training(exp, run_dir=tmp_path / "run", data=data, should_stop=stop):
        if isinstance(ev, StepDone) and not stop.is_set():
            initial = load_checkpoint(tmp_path / "run" / "last.pt")  # the initial weights, saved before step 1
            assert (initial["step"], initial["status"]) == (0, "running")
            assert initial["inference"]["input_shape"] == shape and initial["inference"]["mean"] == list(data.mean)
            stop.set()
    ck = load_checkpoint(tmp_path / "run" / "last.pt")
    assert ck["status"] == "interrupted" and ck["inference"] == initial["inference"]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["inference"] == ck["inference"]
