"""Shape and parameter inference, checked against torch itself (the oracle)."""

from __future__ import annotations

import glob
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from tui_dl.core.model.build import SpecError, build_model, count_parameters
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.shapes import summarize, training_memory_estimate
from tui_dl.core.model.spec import LayerSpec as L
from tui_dl.core.model.spec import NetworkSpec

PRESETS = sorted(glob.glob("presets/*.yaml"))


def torch_rows(model: nn.Module, spec: NetworkSpec) -> dict[tuple[int, ...], tuple[int, ...]]:
    """Output shape of every module (nested for Residual bodies) from a real forward pass, by path."""
    shapes: dict[tuple[int, ...], tuple[int, ...]] = {}
    hooks = []

    def register(seq, prefix):
        for i, m in enumerate(seq):
            path = prefix + (i,)
            hooks.append(m.register_forward_hook(lambda mod, inp, out, path=path: shapes.__setitem__(
                path, tuple(out.shape[1:]))))
            if m.__class__.__name__ == "Residual":
                register(m.body, path)

    register(model, ())
    model.eval()
    with torch.no_grad():
        model(torch.randn(2, *spec.input_shape))
    for h in hooks:
        h.remove()
    return shapes


def assert_matches_torch(spec: NetworkSpec):
    summary = summarize(spec)
    assert summary.ok, [r.error for r in summary.rows if r.error]
    model = build_model(spec)
    params, buffers = count_parameters(model)
    assert summary.totals.params == params
    assert summary.totals.buffers == buffers
    got = torch_rows(model, spec)
    for row in summary.rows:
        assert got[row.path] == row.out_shape, (row.index_text, row.label)
    # per-layer parameter counts too
    flat = {(): model}

    def walk(seq, prefix):
        for i, m in enumerate(seq):
            flat[prefix + (i,)] = m
            if m.__class__.__name__ == "Residual":
                walk(m.body, prefix + (i,))

    walk(model, ())
    for row in summary.rows:
        m = flat[row.path]
        assert row.params == sum(p.numel() for p in m.parameters()), row.label
        assert row.buffers == sum(b.numel() for b in m.buffers()), row.label


# ----------------------------------------------------------------------------- golden numbers


@pytest.mark.parametrize("path,expected", [
    ("presets/lenet5.yaml", 61_706),
    ("presets/simple_cnn.yaml", 421_642),
    ("presets/fnn_2_3_1.yaml", 13),
    ("presets/mlp_mnist.yaml", 235_146),
])
def test_golden_parameter_counts(path, expected):
    assert summarize(load_experiment(path).network).totals.params == expected


@pytest.mark.parametrize("path", [p for p in PRESETS if "handout_bug" not in p])
def test_presets_agree_with_torch(path):
    exp = load_experiment(path)
    assert exp.description, f"{path} needs a one-line description"
    assert_matches_torch(exp.network)


def test_lenet_rows_and_formulas():
    s = summarize(load_experiment("presets/lenet5.yaml").network)
    assert [r.out_shape for r in s.rows] == [
        (6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5), (400,), (120,), (120,),
        (84,), (84,), (10,)]
    assert s.rows[0].shape_formula[0] == "H, W: ⌊(28+2·2−5)/1⌋+1 = 28"
    assert s.rows[0].param_formula == "6·(1·5·5)+6 = 156"
    assert s.rows[6].shape_formula == ["features: 16·5·5 = 400"]
    assert s.rows[7].param_formula == "120·400+120 = 48,120"
    assert s.totals.macs == 416_520  # torch's FlopCounterMode counts 833,040 FLOPs = 2 × this
    assert s.rows[0].label == "Conv2d 1→6, k=5, p=2"


def test_handout_bug_720_vs_360():
    """The real course handout: Conv(1→10, k=5, s=2) → MaxPool(2) → Flatten → Linear(720): 360 arrive."""
    spec = NetworkSpec((1, 28, 28), (
        L("Conv2d", {"in_channels": 1, "out_channels": 10, "kernel_size": 5, "stride": 2}),
        L("MaxPool2d", {"kernel_size": 2}), L("Flatten"), L("Linear", {"in_features": 720, "out_features": 10})))
    s = summarize(spec)
    assert not s.ok
    assert [r.out_shape for r in s.rows[:3]] == [(10, 12, 12), (10, 6, 6), (360,)]
    bad = s.first_error
    assert bad.path == (3,) and "360" in bad.error and "720" in bad.error
    assert bad.fix.set_params == {"in_features": 360}
    fixed = spec.replace_layer((3,), spec.layers[3].with_params(**bad.fix.set_params))
    assert summarize(fixed).ok
    with pytest.raises(SpecError, match="360"):
        build_model(spec)


def test_error_keeps_earlier_rows_and_skips_later():
    spec = NetworkSpec((1, 8, 8), (L("Conv2d", {"out_channels": 4, "kernel_size": 3}), L("MaxPool2d", {
        "kernel_size": 9}), L("ReLU"), L("Flatten")))
    s = summarize(spec)
    assert s.rows[0].out_shape == (4, 6, 6) and s.rows[0].status == "ok"
    assert s.rows[1].error and "too small" in s.rows[1].error
    assert [r.status for r in s.rows[2:]] == ["skipped", "skipped"]


def test_linear_after_conv_offers_flatten():
    s = summarize(NetworkSpec((1, 28, 28), (L("Conv2d", {"out_channels": 2, "kernel_size": 3}),
                                           L("Linear", {"out_features": 10}))))
    row = s.first_error
    assert "Flatten" in row.error and "1,352" in row.error
    assert row.fix.insert_before == L("Flatten")


def test_unknown_type_and_field_suggestions():
    s = summarize(NetworkSpec((4,), (L("Linaer", {"out_features": 3}),)))
    assert "Did you mean 'Linear'" in s.first_error.error
    s = summarize(NetworkSpec((4,), (L("Linear", {"out_feature": 3}),)))
    assert "Did you mean 'out_features'" in s.first_error.error
    assert s.first_error.fix.set_params == {"out_feature": None, "out_features": 3}
    s = summarize(NetworkSpec((4,), (L("Linear", {}),)))
    assert "needs out_features" in s.first_error.error


def test_empty_network_and_bad_input():
    assert "no layers" in summarize(NetworkSpec((1, 28, 28), ())).errors[0]
    assert not summarize(NetworkSpec((0, 28, 28), (L("ReLU"),))).ok


def test_warning_for_uneven_window():
    s = summarize(NetworkSpec((1, 28, 28), (L("Conv2d", {"out_channels": 1, "kernel_size": 5, "stride": 2}),)))
    assert s.rows[0].warnings and "never covered" in s.rows[0].warnings[0]
    s = summarize(NetworkSpec((1, 28, 28), (L("MaxPool2d", {"kernel_size": 2}),)))
    assert s.rows[0].warnings == []


def test_same_padding_and_residual_projection():
    spec = NetworkSpec((3, 9, 11), (
        L("Conv2d", {"out_channels": 4, "kernel_size": [3, 4], "padding": "same", "dilation": 2}),
        L("Residual", {}, (L("Conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}),
                           L("BatchNorm2d"))),
        L("Flatten"),
        L("Residual", {}, (L("Linear", {"out_features": 7}), L("ReLU"))),
    ))
    assert_matches_torch(spec)
    s = summarize(spec)
    assert s.rows[0].out_shape == (4, 9, 11)
    proj_row = s.row((1,))
    assert "1×1 Conv2d 4→8" in " ".join(proj_row.shape_formula)
    none = spec.replace_layer((1,), spec.layers[1].with_params(projection="none"))
    assert "cannot be added" in summarize(none).row((1,)).error


def test_memory_estimate_counts_optimizer_state():
    s = summarize(load_experiment("presets/lenet5.yaml").network)
    adam = training_memory_estimate(s, 64, "adam")
    sgd = training_memory_estimate(s, 64, "sgd")
    assert adam["optimizer"] == 2 * 61_706 * 4 and sgd["optimizer"] == 0
    assert adam["activations"] == 2 * 64 * s.totals.activation_bytes


def test_fifty_layer_spec_is_summarized():
    layers = [L("Flatten")] + [L("Linear", {"out_features": 32}), L("ReLU")] * 24 + [L("Linear", {
        "out_features": 10})]
    s = summarize(NetworkSpec((1, 8, 8), tuple(layers)))
    assert s.ok and len(s.rows) == 50
    assert s.totals.params == 64 * 32 + 32 + 23 * (32 * 32 + 32) + 32 * 10 + 10


# ----------------------------------------------------------------------------- random stacks vs torch

ACTS = ["ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "LeakyReLU", "ELU"]


@st.composite
def image_layer(draw, depth=0):
    kind = draw(st.sampled_from(["Conv2d", "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "act", "Dropout",
                                 "Dropout2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]
                                + (["Residual"] if depth == 0 else [])))
    small = st.integers(1, 4)
    if kind == "Conv2d":
        groups = draw(st.sampled_from([1, 1, 2]))
        p = {"out_channels": draw(st.integers(1, 4)) * groups, "kernel_size": draw(st.one_of(small, st.lists(
            small, min_size=2, max_size=2))), "groups": groups}
        if draw(st.booleans()):
            p["stride"] = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)))
        if draw(st.booleans()):
            p["padding"] = draw(st.one_of(st.integers(0, 3), st.sampled_from(["same", "valid"])))
        if draw(st.booleans()):
            p["dilation"] = draw(st.integers(1, 2))
        if draw(st.booleans()):
            p["bias"] = draw(st.booleans())
        return L("Conv2d", p)
    if kind in ("MaxPool2d", "AvgPool2d"):
        k = draw(st.integers(1, 4))
        p = {"kernel_size": k}
        if draw(st.booleans()):
            p["stride"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            p["padding"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            p["ceil_mode"] = draw(st.booleans())
        if kind == "MaxPool2d" and draw(st.booleans()):
            p["dilation"] = draw(st.integers(1, 2))
        return L(kind, p)
    if kind == "BatchNorm2d":
        return L("BatchNorm2d", {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())})
    if kind == "act":
        return L(draw(st.sampled_from(ACTS)))
    if kind in ("Dropout", "Dropout2d"):
        return L(kind, {"p": 0.3})
    if kind.startswith("Adaptive"):
        return L(kind, {"output_size": draw(st.integers(1, 3))})
    inner = tuple(draw(st.lists(image_layer(depth=1), min_size=0, max_size=3)))
    return L("Residual", {"projection": draw(st.sampled_from(["auto", "auto", "none", "conv"]))}, inner)


@st.composite
def vector_layer(draw):
    kind = draw(st.sampled_from(["Linear", "Linear", "BatchNorm1d", "act", "Dropout", "Softmax", "Residual"]))
    if kind == "Linear":
        return L("Linear", {"out_features": draw(st.integers(1, 12)), "bias": draw(st.booleans())})
    if kind == "BatchNorm1d":
        return L("BatchNorm1d")
    if kind == "act":
        return L(draw(st.sampled_from(ACTS)))
    if kind == "Dropout":
        return L("Dropout", {"p": 0.1})
    if kind == "Softmax":
        return L(draw(st.sampled_from(["Softmax", "LogSoftmax"])), {"dim": draw(st.sampled_from([1, -1]))})
    inner = tuple(draw(st.lists(st.builds(lambda n: L("Linear", {"out_features": n}), st.integers(1, 8)),
                                min_size=0, max_size=2)))
    return L("Residual", {}, inner)


@st.composite
def random_spec(draw):
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 16)), draw(st.integers(3, 16))
    layers = draw(st.lists(image_layer(), min_size=0, max_size=5))
    tail = []
    if draw(st.booleans()) or not layers:
        tail = [L("Flatten")] + draw(st.lists(vector_layer(), min_size=0, max_size=4))
    return NetworkSpec((c, h, w), tuple(layers + tail))


def torch_verdict(spec: NetworkSpec):
    """Build the same stack directly with torch modules (no tui-dl builder) and run it: ok or error."""
    try:
        modules = _torch_direct(spec.layers, spec.input_shape)
        x = torch.zeros(2, *spec.input_shape)
        nn.Sequential(*modules).eval()(x)
        return True
    except (RuntimeError, ValueError, ZeroDivisionError):
        return False


class _Res(nn.Module):
    def __init__(self, body, proj):
        super().__init__()
        self.body, self.proj = body, proj

    def forward(self, x):
        return self.body(x) + (x if self.proj is None else self.proj(x))


def _torch_direct(layers, in_shape):
    """An independent torch translation using Lazy modules (torch infers the inputs itself)."""
    mods = []
    for layer in layers:
        kind = REGISTRY[layer.type]
        a = kind.resolve_args(layer.params)
        t = layer.type
        if t == "Conv2d":
            pad = a["padding"]
            mods.append(nn.LazyConv2d(a["out_channels"], a["kernel_size"], stride=a["stride"],
                                      padding=pad if isinstance(pad, (str, int)) else tuple(pad),
                                      dilation=a["dilation"], groups=a["groups"], bias=a["bias"]))
        elif t == "Linear":
            mods.append(nn.LazyLinear(a["out_features"], bias=a["bias"]))
        elif t == "BatchNorm2d":
            mods.append(nn.LazyBatchNorm2d(affine=a["affine"], track_running_stats=a["track_running_stats"]))
        elif t == "BatchNorm1d":
            mods.append(nn.LazyBatchNorm1d())
        elif t == "Residual":
            body = nn.Sequential(*_torch_direct(layer.layers, None))
            mods.append(_LazyRes(body, a["projection"]))
        else:
            mods.append(kind.build(None, a))
    return mods


class _LazyRes(nn.Module):
    """Skip connection whose projection is decided at the first forward (1×1 conv / linear), like ResNet."""

    def __init__(self, body, mode):
        super().__init__()
        self.body, self.mode, self.proj = body, mode, None

    def forward(self, x):
        y = self.body(x)
        if y.shape == x.shape and self.mode in ("auto", "none"):
            return y + x
        if self.mode == "none":
            raise RuntimeError("shapes differ")
        if x.dim() == 4 and y.dim() == 4 and self.mode in ("auto", "conv"):
            strides = []
            for n, o in zip(x.shape[2:], y.shape[2:]):
                s = next((s for s in range(1, n + 1) if (n - 1) // s + 1 == o), None)
                if s is None:
                    raise RuntimeError("no projection")
                strides.append(s)
            self.proj = nn.Conv2d(x.shape[1], y.shape[1], 1, stride=tuple(strides))
        elif x.dim() == 2 and y.dim() == 2 and self.mode in ("auto", "linear"):
            self.proj = nn.Linear(x.shape[1], y.shape[1])
        else:
            raise RuntimeError("projection cannot bridge")
        return y + self.proj(x)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_spec())
def test_random_stacks_agree_with_torch(spec):
    """Valid stacks: every shape and count equals torch's. Invalid ones: torch fails too."""
    s = summarize(spec)
    if not spec.layers:
        assert not s.ok
        return
    verdict = torch_verdict(spec)
    assert s.ok == verdict, (spec, s.first_error.error if s.first_error else None)
    if s.ok:
        assert_matches_torch(spec)
        # activation estimate = sum of the non-container outputs
        assert s.totals.activation_bytes == 4 * sum(
            math.prod(r.out_shape) for r in s.rows if r.type != "Residual")


def test_summarize_never_raises_on_nonsense():
    nonsense = [
        NetworkSpec((1, 4, 4), (L("Conv2d", {"out_channels": "six", "kernel_size": 3}),)),
        NetworkSpec((1, 4, 4), (L("Conv2d", {"out_channels": 2, "kernel_size": [1, 2, 3]}),)),
        NetworkSpec((1, 4, 4), (L("ReLU", {}, (L("ReLU"),)),)),
        NetworkSpec((5,), (L("Conv2d", {"out_channels": 2, "kernel_size": 3}),)),
        NetworkSpec((5,), (L("Flatten", {"start_dim": 0}),)),
        NetworkSpec((5,), (L("Softmax", {"dim": 0}),)),
        NetworkSpec((3, 5, 5), (L("Conv2d", {"out_channels": 2, "kernel_size": 3, "groups": 2}),)),
        NetworkSpec((3, 5, 5), (L("Conv2d", {"out_channels": 2, "kernel_size": 3, "stride": 2, "padding": "same"}),)),
    ]
    for spec in nonsense:
        s = summarize(spec)
        assert not s.ok and s.first_error.error, spec
