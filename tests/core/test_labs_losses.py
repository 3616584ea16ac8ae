"""The losses lab: each loss and its gradient with respect to the prediction equal torch's (autograd)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_dl.core.labs.losses import NAMES, loss_curves, losses
from tui_dl.core.labs.values import LabError

SETTINGS = settings(max_examples=60, deadline=None)
probs = st.floats(0.001, 0.999)


def _close(a, b):
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b)) and len(a) == len(b)


def _torch(fn, pred, *args):
    p = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    v = fn(p, *args)
    v.backward()
    return v.item(), p.grad.tolist()


@SETTINGS
@given(data=st.data(), n=st.integers(1, 6))
def test_regression_losses_match_torch(data, n):
    y = data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    t = data.draw(st.lists(st.floats(-10, 10), min_size=n, max_size=n))
    r = losses(y, t)
    tt = torch.tensor(t, dtype=torch.float64)
    for name, fn in (("mse", F.mse_loss), ("mae", F.l1_loss)):
        v, g = _torch(fn, y, tt)
        assert math.isclose(r.losses[name].value, v, rel_tol=1e-9, abs_tol=1e-12) and _close(r.losses[name].grad, g)


@SETTINGS
@given(data=st.data(), n=st.integers(1, 6), gamma=st.floats(0, 5))
def test_binary_losses_match_torch(data, n, gamma):
    y = data.draw(st.lists(probs, min_size=n, max_size=n))
    t = data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n))
    r = losses(y, t, gamma)
    tt = torch.tensor(t, dtype=torch.float64)
    v, g = _torch(F.binary_cross_entropy, y, tt)
    assert math.isclose(r.losses["bce"].value, v, rel_tol=1e-9) and _close(r.losses["bce"].grad, g)

    def focal(p, target):  # torchvision's sigmoid_focal_loss on the logits, α off; chained back to p
        from torchvision.ops import sigmoid_focal_loss

        return sigmoid_focal_loss(torch.logit(p), target, alpha=-1, gamma=gamma, reduction="mean")

    v, g = _torch(focal, y, tt)
    assert math.isclose(r.losses["focal"].value, v, rel_tol=1e-7, abs_tol=1e-12)
    assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in zip(r.losses["focal"].grad, g))
    if gamma == 0:
        assert math.isclose(r.losses["focal"].value, r.losses["bce"].value, rel_tol=1e-12)


@SETTINGS
@given(data=st.data(), n=st.integers(2, 6))
def test_cross_entropy_matches_nll_of_log_probabilities(data, n):
    raw = data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n))
    y = [v / sum(raw) for v in raw]
    k = data.draw(st.integers(0, n - 1))
    r = losses(y, k)
    v, g = _torch(lambda p: F.nll_loss(torch.log(p).unsqueeze(0), torch.tensor([k])), y)
    assert math.isclose(r.losses["ce"].value, v, rel_tol=1e-9) and _close(r.losses["ce"].grad, g)
    # soft targets: torch's cross_entropy with probabilities, on the logits log p (softmax(log p) = p)
    soft = data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n).filter(lambda s: sum(s) > 0))
    soft = [s / sum(soft) for s in soft]
    want = F.cross_entropy(torch.log(torch.tensor([y], dtype=torch.float64)), torch.tensor([soft], dtype=torch.float64))
    assert math.isclose(losses(y, soft).losses["ce"].value, want.item(), rel_tol=1e-9, abs_tol=1e-12)


def test_worked_text_and_json():
    r = losses("0.7 0.2 0.1", 0)
    assert r.target == (1.0, 0.0, 0.0)
    assert r.losses["ce"].text == "CE = −(1·log 0.7) = 0.3567"
    assert r.losses["mse"].text == "MSE = (1/3)·((0.7 − 1)² + (0.2 − 0)² + (0.1 − 0)²) = 0.04667"
    js = r.to_json()
    assert set(js["losses"]) == set(NAMES) and set(js["losses"]["ce"]) == {"value", "grad", "text"}
    scores = losses("-1 2", "1 0").to_json()["losses"]
    assert scores["ce"]["value"] is None and "softmax" in scores["ce"]["error"] and scores["mse"]["value"] == 4


def test_cross_entropy_punishes_confident_mistakes():
    c = loss_curves(100)
    assert c.p[0] == 0.01 and c.p[-1] == 1
    assert c.values["ce"][0] > 4.6 > 1 >= c.values["mse"][0]
    assert all(a >= b for a, b in zip(c.values["ce"], c.values["ce"][1:]))  # falls as p rises
    assert all(f <= e + 1e-15 for f, e in zip(c.values["focal"], c.values["ce"]))  # focal ≤ CE


def test_bad_input_names_the_field():
    for args, field in ((("0.5 0.5", "1 0 1"), "target"), (("0.5 0.5", 5), "target"), (("0.5 x", 0), "pred")):
        with pytest.raises(LabError) as e:
            losses(*args)
        assert e.value.field == field
    with pytest.raises(LabError) as e:
        losses("0.5", 1, gamma=-1)
    assert e.value.field == "gamma"
