"""Adversarial training (train.adversarial, core/training/adversarial.py): the config's checks, the perturbed
batch (within ε of the clean one in pixel units and inside [0, 1]; the same images as tui-dl attack's FGSM), and
short runs with the plain and the split-batch step."""

from __future__ import annotations

import json

import pytest
import torch

from tui_dl.core.config.experiment import ConfigError, experiment_from_data
from tui_dl.core.data import normalize_batch
from tui_dl.core.training.adversarial import Perturber

MEAN, STD = (0.1307,), (0.3081,)


def _exp(adversarial, data="synthetic-digits", **train):
    return experiment_from_data({
        "name": "adv", "input": [1, 28, 28] if data != "moons" else [2],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 16}, {"type": "ReLU"},
                   {"type": "Linear", "out_features": 10}],
        "data": {"name": data, "num_samples": 400},
        "train": {"epochs": 1, "batch_size": 50, "threads": 1, "checkpoints": False, "adversarial": adversarial,
                  **train}}, "adv.yaml")


@pytest.mark.parametrize("value, message", [
    ({"eps": 1.5}, "train.adversarial.eps: must be at most 1"),
    ({"eps": -0.1}, "train.adversarial.eps: must be at least 0"),
    ({"fraction": 0}, "train.adversarial.fraction: must be greater than 0"),
    ({"fraction": 1.2}, "train.adversarial.fraction: must be at most 1"),
    ({"method": "cw"}, "train.adversarial.method: 'cw' is not one of fgsm, pgd"),
    ({"steps": 5}, "train.adversarial.steps: steps applies to method: pgd only"),
    ({"method": "pgd", "steps": 0}, "train.adversarial.steps: must be at least 1"),
    ({"epsilon": 0.1}, "train.adversarial.epsilon: unknown field. Did you mean 'eps'?"),
    (0.3, "train.adversarial: expected a mapping"),
])
def test_bad_adversarial_settings_name_the_field(value, message):
    with pytest.raises(ConfigError) as e:
        _exp(value)
    assert message in str(e.value)


def test_adversarial_settings_and_defaults():
    a = _exp({"eps": 0.3, "fraction": 1, "method": "pgd", "steps": 3}).train.adversarial
    assert (a.eps, a.fraction, a.method, a.steps) == (0.3, 1.0, "pgd", 3)
    a = _exp(True).train.adversarial
    assert (a.eps, a.fraction, a.method) == (0.1, 0.5, "fgsm")
    assert _exp(None).train.adversarial is None and "adversarial" not in _exp(None).train.to_dict()
    assert _exp({"eps": 0.2}).train.to_dict()["adversarial"] == {"eps": 0.2, "fraction": 0.5, "method": "fgsm"}
    with pytest.raises(ConfigError, match="2-D toy set"):
        _exp({"eps": 0.1}, data="moons")


def test_the_json_schema_has_the_section():
    from tui_dl.cli.schema import experiment_schema

    adv = experiment_schema()["properties"]["train"]["properties"]["adversarial"]
    obj = adv["anyOf"][0]
    assert set(obj["properties"]) == {"eps", "fraction", "method", "steps"}
    assert obj["properties"]["eps"]["maximum"] == 1 and obj["properties"]["fraction"]["exclusiveMinimum"] == 0
    assert obj["properties"]["method"]["enum"] == ["fgsm", "pgd"]


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def _batch(n=20):
    g = torch.Generator().manual_seed(1)
    x8 = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=g)
    x8[:, :, :4] = 0  # some black pixels: a step down is cut by the clamp
    x8[:, :, -4:] = 255
    return x8, torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("method", ["fgsm", "pgd"])
def test_the_perturbed_batch_is_within_eps_in_pixels_and_inside_0_1(method):
    model, loss = _model(), torch.nn.functional.cross_entropy
    x8, y = _batch()
    xb = normalize_batch(x8, MEAN, STD)
    p = Perturber(model, loss, MEAN, STD, eps=0.1, fraction=0.5, method=method, steps=3)
    out = p(xb, y, torch.arange(20))
    assert out.shape == xb.shape and p.count(20) == 10
    clean, adv = x8.float() / 255, p.to_pixels(out)
    diff = (adv - clean).abs()
    assert torch.equal(out[10:], xb[10:])                        # the rest of the batch is clean
    assert diff[:10].max() <= 0.1 + 1e-5 and diff[:10].max() >= 0.1 - 1e-5
    assert adv.min() >= -1e-6 and adv.max() <= 1 + 1e-6          # inside [0, 1] after the round trip
    assert (diff[:10, :, :4] < 1e-6).float().mean() > 0.3        # black pixels pushed down stay black
    assert model.training                                        # the mode is restored


def test_fgsm_training_examples_are_tui_dl_attacks_fgsm():
    from tui_dl.core.insight.attacks import fgsm
    from tui_dl.core.insight.model_io import Normalized

    model, loss = _model(), torch.nn.functional.cross_entropy
    x8, y = _batch()
    p = Perturber(model, loss, MEAN, STD, eps=0.2, fraction=1.0)
    ours = p.to_pixels(p(normalize_batch(x8, MEAN, STD), y))
    model.eval()
    theirs = fgsm(Normalized(model, MEAN, STD), x8.float() / 255, y, 0.2, loss).x_adv
    assert torch.allclose(ours, theirs, atol=1e-5)
    # and the attack raised the loss
    with torch.no_grad():
        assert loss(model(p.from_pixels(theirs)), y) > loss(model(p.from_pixels(x8.float() / 255)), y)


def test_pgd_random_start_is_reproducible_per_batch():
    model, loss = _model(), torch.nn.functional.cross_entropy
    x8, y = _batch()
    xb = normalize_batch(x8, MEAN, STD)
    p = Perturber(model, loss, MEAN, STD, eps=0.1, fraction=1.0, method="pgd", steps=2, seed=3)
    a, b = p(xb, y, torch.arange(20)), p(xb, y, torch.arange(20))
    c = p(xb, y, torch.arange(20) + 1)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_the_step_trains_on_the_perturbed_batch():
    from tui_dl.core.training.steps import PlainStep

    seen = []
    model, loss = _model(), torch.nn.functional.cross_entropy
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()) if m.training else None)
    x8, y = _batch()
    from tui_dl.core.training.losses import make_objective

    obj = make_objective(_exp(None), (10,), 10, "synthetic-digits")
    p = Perturber(model, loss, MEAN, STD, eps=0.1, fraction=0.5)
    step = PlainStep(model, torch.optim.SGD(model.parameters(), lr=0.1), obj,
                     lambda xb: normalize_batch(xb, MEAN, STD), x8, y, perturb=p)
    step(torch.arange(20))
    trained_on = seen[-1]
    clean = normalize_batch(x8, MEAN, STD)
    assert not torch.equal(trained_on[:10], clean[:10]) and torch.equal(trained_on[10:], clean[10:])


@pytest.mark.parametrize("split", [False, True])
def test_a_short_adversarial_run_plain_and_split(tmp_path, split):
    from tui_dl.core.training.events import Finished, Notice, RunStarted
    from tui_dl.core.training.loop import iter_training

    exp = _exp({"eps": 0.1, "fraction": 0.5, **({"method": "pgd", "steps": 2} if split else {})},
               threads=2 if split else 1, split_batch=split)
    events = list(iter_training(exp, run_dir=tmp_path / "run"))
    fin = next(e for e in events if isinstance(e, Finished))
    assert fin.status == "completed"
    text = [e.message for e in events if isinstance(e, Notice)]
    assert any("adversarial training: half of each batch" in t for t in text)
    assert any("split across 2" in t for t in text) == split
    cfg = (tmp_path / "run" / "config.yaml").read_text()
    assert "adversarial:" in cfg and "eps: 0.1" in cfg
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "completed"
    assert any(isinstance(e, RunStarted) for e in events)


@pytest.mark.parametrize("split", [False, True])
def test_a_pgd_trained_run_stopped_mid_epoch_resumes_bit_identically(tmp_path, split):
    import threading

    from tests.core.test_train import metrics_of
    from tui_dl.core.data import load_dataset
    from tui_dl.core.training.events import Finished, RunStarted, StepDone
    from tui_dl.core.training.loop import iter_training

    exp = _exp({"eps": 0.2, "method": "pgd", "steps": 2}, threads=2 if split else 1, split_batch=split, epochs=2,
               log_every=2, checkpoints=True)
    data = load_dataset("synthetic-digits", num_samples=400, val_split=0.1, seed=0)
    full = list(iter_training(exp, run_dir=tmp_path / "full", data=data))
    stop, first = threading.Event(), []
    for ev in iter_training(exp, run_dir=tmp_path / "part", data=data, should_stop=stop):
        first.append(ev)
        if isinstance(ev, StepDone) and ev.step >= 4:
            stop.set()
    second = list(iter_training(None, resume=tmp_path / "part", data=data))
    both = [e for e in first + second if not isinstance(e, (RunStarted, Finished))] + \
        [e for e in second if isinstance(e, Finished)]
    assert metrics_of(both) == metrics_of(full)
