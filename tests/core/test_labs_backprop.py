"""The backprop lab: the 2-3-1 network's forward values, loss, δs, gradients and update equal torch autograd's
on random weights, for each activation, loss and output."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tui_dl.core.labs.backprop import STAGES, autograd_check, backprop, random_network, with_param
from tui_dl.core.labs.values import LabError

SETTINGS = settings(max_examples=60, deadline=None)
w = st.floats(-2, 2, allow_nan=False)


def _oracle(x, t, net, act, loss, output, lr):
    acts = {"sigmoid": nn.Sigmoid(), "relu": nn.ReLU(), "tanh": nn.Tanh()}
    l1, l2 = nn.Linear(2, 3).double(), nn.Linear(3, 1).double()
    with torch.no_grad():
        for p, v in ((l1.weight, net["W1"]), (l1.bias, net["b1"]), (l2.weight, net["W2"]), (l2.bias, net["b2"])):
            p.copy_(torch.tensor(v, dtype=torch.float64))
    xt, tt = torch.tensor([x], dtype=torch.float64), torch.tensor([t], dtype=torch.float64)
    z1 = l1(xt)
    z1.retain_grad()
    a1 = acts[act](z1)
    z2 = l2(a1)
    z2.retain_grad()
    if loss == "bce":
        y = torch.sigmoid(z2)
        L = nn.functional.binary_cross_entropy(y, tt)
    else:
        y = z2 if output == "linear" else acts[act](z2)
        L = 0.5 * ((y - tt) ** 2).sum()
    L.backward()
    grads = {"W1": l1.weight.grad, "b1": l1.bias.grad, "W2": l2.weight.grad, "b2": l2.bias.grad}
    return {"z1": z1[0].tolist(), "a1": a1[0].tolist(), "z2": z2[0].tolist(), "y": y[0].tolist(), "L": L.item(),
            "delta1": z1.grad[0].tolist(), "delta2": z2.grad[0].tolist(),
            "grads": {k: g.tolist() for k, g in grads.items()},
            "updated": {k: (torch.tensor(net[k], dtype=torch.float64) - lr * g).tolist() for k, g in grads.items()}}


def _close(a, b, tol=1e-9):
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))
    return math.isclose(a, b, rel_tol=tol, abs_tol=1e-12)


@SETTINGS
@given(W1=st.lists(st.lists(w, min_size=2, max_size=2), min_size=3, max_size=3),
       b1=st.lists(w, min_size=3, max_size=3), W2=st.lists(st.lists(w, min_size=3, max_size=3), min_size=1,
                                                           max_size=1),
       b2=st.lists(w, min_size=1, max_size=1), x=st.lists(w, min_size=2, max_size=2), t=st.floats(0, 1),
       act=st.sampled_from(["sigmoid", "relu", "tanh"]), loss=st.sampled_from(["mse", "bce"]),
       linear=st.booleans(), lr=st.floats(0.01, 2))
def test_every_number_equals_autograd(W1, b1, W2, b2, x, t, act, loss, linear, lr):
    output = "linear" if linear and loss == "mse" else None
    r = backprop(x, [t], W1=W1, b1=b1, W2=W2, b2=b2, activation=act, loss=loss, lr=lr, output=output)
    want = _oracle(x, [t], {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, act, loss, output, lr)
    for key in ("z1", "a1", "z2", "y"):
        assert _close(r.forward[key], want[key]), key
    assert _close(r.loss_value, want["L"])
    assert _close(r.deltas["delta1"], want["delta1"]) and _close(r.deltas["delta2"], want["delta2"])
    for k in ("W1", "b1", "W2", "b2"):
        assert _close(r.grads.get(k), want["grads"][k]), k
        assert _close(r.updated.get(k), want["updated"][k]), k
    assert max(autograd_check(r).values()) < 1e-12


def test_the_network_has_13_parameters_and_the_json_shape():
    r = backprop(seed=0)
    js = r.to_json()
    n = sum(len(v) if not isinstance(v[0], list) else sum(len(row) for row in v)
            for v in (js["W1"], js["b1"], js["W2"], js["b2"]))
    assert n == 13 == (2 * 3 + 3) + (3 * 1 + 1)
    assert (len(js["W1"]), len(js["W1"][0]), len(js["W2"]), len(js["W2"][0])) == (3, 2, 1, 3)  # nn.Linear weights
    for key in ("activation", "loss", "lr", "x", "target", "W1", "b1", "W2", "b2", "forward", "loss_value",
                "grads", "updated"):
        assert key in js
    assert set(js["grads"]) == set(js["updated"]) == {"W1", "b1", "W2", "b2"}
    assert set(js["forward"]) == {"z1", "a1", "z2", "y"} and set(js["deltas"]) == {"delta1", "delta2"}
    assert js["activation"] == "sigmoid" and js["loss"] == "mse" and js["lr"] == 0.5
    assert js["updated"]["b2"][0] == pytest.approx(js["b2"][0] - 0.5 * js["grads"]["b2"][0])


def test_lines_follow_the_review_questions_order_and_show_the_numbers():
    r = backprop(seed=0)
    stages = []
    for ln in r.steps:
        if not stages or stages[-1] != ln.stage:
            stages.append(ln.stage)
    assert stages == list(STAGES) == ["④ forward pass", "① errors δ", "③ derivatives", "② update"]
    z = r.steps[0]
    assert z.text() == "z1[1] = W1[1,1]·x1 + W1[1,2]·x2 + b1[1] = 0.69·1 + 0.52·0.5 + 0.57 = 1.52"
    assert sum(1 for ln in r.steps if ln.stage == "② update") == 13
    assert sum(1 for ln in r.steps if ln.stage == "③ derivatives") == 13


def test_seeded_weights_are_reproducible_and_edits_apply():
    assert random_network(3) == random_network(3) != random_network(4)
    r = backprop(seed=1)
    r2 = with_param(r, "W2", "1 1 1")
    assert r2.net.W2 == [[1.0, 1.0, 1.0]] and r2.net.W1 == r.net.W1
    assert with_param(r, "x", "0 0").forward["z1"] == r.net.b1
    nxt = r.next_step()
    assert nxt.net.W1 == r.updated.W1 and nxt.loss_value < r.loss_value


def test_bad_input_names_the_field():
    for kw, field in (({"loss": "hinge"}, "loss"), ({"activation": "nope"}, "activation"), ({"W1": "1 2; 3 4"}, "W1"),
                      ({"x": [1, 2, 3]}, "x"), ({"loss": "bce", "output": "linear"}, "output"),
                      ({"loss": "bce", "target": [2]}, "target"), ({"output": "relu6"}, "output")):
        with pytest.raises(LabError) as e:
            backprop(**kw)
        assert e.value.field == field, (kw, e.value.field)
