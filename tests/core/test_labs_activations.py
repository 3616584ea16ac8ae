"""The activations lab: every registered activation has f and f′, and both equal torch's (autograd for f′)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_dl.core.labs import activations as A
from tui_dl.core.labs.values import LabError
from tui_dl.core.model.layers import REGISTRY

SETTINGS = settings(max_examples=60, deadline=None)
xs = st.one_of(st.floats(-30, 30, allow_nan=False), st.sampled_from([0.0, -0.0, 1e-12, -1e-12]))


def test_every_registered_activation_is_defined_once_in_the_lab():
    registered = [k.name for k in REGISTRY.values() if k.group == "activation"]
    missing = [n for n in registered if n not in A.ELEMENTWISE and n not in A.VECTOR]
    assert missing == [], f"define f and f′ for {missing} in tui_dl/core/labs/activations.py"
    assert not set(A.ELEMENTWISE) & set(A.VECTOR)
    assert A.activation_names() == [n for n in registered if n in A.ELEMENTWISE]
    assert {"ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "SiLU", "Sigmoid", "Tanh"} <= set(A.activation_names())


def _torch_f_df(name: str, x: float, params: dict):
    module = REGISTRY[name].build(None, {**REGISTRY[name].resolve_args({}), **params})
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    y = module(t)
    y.backward()
    return y.item(), t.grad.item()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@SETTINGS
@given(name=st.sampled_from(sorted(A.ELEMENTWISE)), x=xs)
def test_f_and_derivative_match_torch_autograd(name, x):
    r = A.evaluate(name, [x])
    f, df = _torch_f_df(name, x, {})
    assert _close(r.points[0].f, f), (name, x, r.points[0].f, f)
    assert _close(r.points[0].df, df), (name, x, r.points[0].df, df)


@SETTINGS
@given(x=xs, slope=st.floats(0, 2), alpha=st.floats(0.01, 3), beta=st.floats(0.1, 10),
       threshold=st.floats(0.5, 30), approx=st.sampled_from(["none", "tanh"]))
def test_arguments_of_the_activation_are_used(x, slope, alpha, beta, threshold, approx):
    for name, params in (("LeakyReLU", {"negative_slope": slope}), ("ELU", {"alpha": alpha}),
                         ("Softplus", {"beta": beta, "threshold": threshold}), ("GELU", {"approximate": approx})):
        r = A.evaluate(name, [x], params)
        f, df = _torch_f_df(name, x, params)
        assert _close(r.points[0].f, f) and _close(r.points[0].df, df), (name, params, x)


def test_worked_lines_and_json_shape():
    r = A.evaluate("sigmoid", [-2, 0, 2])
    js = r.to_json()
    assert js["fn"] == "sigmoid" and [p["x"] for p in js["points"]] == [-2.0, 0.0, 2.0]
    assert set(js["points"][0]) == {"x", "f", "df"}
    assert round(js["points"][0]["f"], 4) == 0.1192 and round(js["points"][0]["df"], 4) == 0.1050
    assert js["points"][1]["df"] == 0.25
    text = "\n".join(r.lines())
    assert "σ′(0) = σ(x)·(1 − σ(x)) = 0.5·(1 − 0.5) = 0.25" in text
    assert "0.25" in r.note and "deep sigmoid" in r.note


def test_sigmoid_derivative_never_exceeds_a_quarter():
    xs_, _, dfs = A.curve("sigmoid", -10, 10, 401)
    assert max(dfs) == 0.25 and xs_[dfs.index(max(dfs))] == 0


def test_names_are_found_in_any_case_and_unknown_ones_are_refused():
    assert A.resolve("leaky_relu") == "LeakyReLU" and A.resolve("TANH") == "Tanh"
    with pytest.raises(LabError) as e:
        A.resolve("swish2")
    assert e.value.field == "fn" and "sigmoid" in str(e.value)
    with pytest.raises(LabError, match="softmax lab"):
        A.evaluate("softmax", [1.0])
    with pytest.raises(LabError) as e:
        A.evaluate("LeakyReLU", [1.0], {"slope": 2})
    assert e.value.field == "param" and "negative_slope" in str(e.value)


@SETTINGS
@given(v=st.lists(st.floats(-50, 50), min_size=1, max_size=6), t=st.floats(0.05, 20))
def test_softmax_with_temperature_matches_torch(v, t):
    r = A.softmax(v, t)
    x = torch.tensor(v, dtype=torch.float64) / t
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(r.outputs, torch.softmax(x, 0)))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(r.log_outputs, torch.log_softmax(x, 0)))
    assert math.isclose(sum(r.outputs), 1.0, rel_tol=1e-12)


def test_softmax_text_and_bad_temperature():
    r = A.softmax([1, 2, 3], 1)
    assert r.texts[0] == "softmax(x)_1 = e^(1/1) / 30.19 = 2.718 / 30.19 = 0.09003"
    assert set(r.to_json()) == {"input", "temperature", "output", "steps"}
    big = A.softmax([1000, 1001], 1)  # no overflow: the exponents are shifted
    assert math.isclose(big.outputs[1], 1 / (1 + math.exp(-1)))
    with pytest.raises(LabError) as e:
        A.softmax([1, 2], 0)
    assert e.value.field == "temperature"
