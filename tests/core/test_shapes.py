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

#: Where tui-dl refuses, on purpose, what torch would run (softmax over the batch, flattening the batch
#: into the features, a Flatten that leaves more than a vector), draws stay inside what both accept.
DELIBERATE = {("Softmax", "dim"): st.sampled_from([1, -1]), ("LogSoftmax", "dim"): st.sampled_from([1, -1]),
              ("Flatten", "start_dim"): st.just(1), ("Flatten", "end_dim"): st.just(-1)}
#: Caps that keep drawn networks small (the Fields' own maxima are far larger).
CAPS = {"out_channels": 4, "out_features": 12, "kernel_size": 4, "stride": 3, "padding": 3, "dilation": 2,
        "groups": 2, "output_size": 3}


def field_values(kind, f):
    """Values for one of ``kind``'s fields, from the Field itself: its kind, min, max and choices."""
    if (kind.name, f.name) in DELIBERATE:
        return DELIBERATE[(kind.name, f.name)]
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "choice":
        return st.sampled_from(f.choices)
    if f.kind == "float":
        lo = 0.0 if f.min is None else float(f.min)
        return st.floats(lo, float(f.max) if f.max is not None else lo + 1.0, exclude_min=f.min_exclusive)
    lo = int(f.min) if f.min is not None else -3
    hi = min(int(f.max) if f.max is not None else 10**9, CAPS.get(f.name, 4))
    ints = st.integers(lo, hi)
    if f.kind == "int":
        return ints
    pairs = st.one_of(ints, st.lists(ints, min_size=2, max_size=2))
    if f.kind == "int2":
        return pairs
    assert f.kind == "padding", f"no strategy for {f.kind} fields: add one here"
    return st.one_of(pairs, st.sampled_from(["same", "valid"]))


@st.composite
def drawn_args(draw, kind):
    """Arguments for ``kind``: every required field, each optional one half the time; inferred ones are left
    to tui-dl (and to torch's Lazy modules in the oracle)."""
    p = {}
    for f in kind.fields:
        if not f.inferred and (f.required or draw(st.booleans())):
            p[f.name] = draw(field_values(kind, f))
    return p


def _keeps_rank(kind, shape) -> bool:
    """The kind's starter layer works on ``shape`` and keeps its rank (image stays image, vector stays vector)."""
    s = summarize(NetworkSpec(shape, (kind.new(shape),)))
    return s.ok and len(s.totals.out_shape) == len(shape)


IMAGE, VECTOR = (3, 8, 8), (8,)
IMAGE_KINDS = [k for k in REGISTRY.values() if _keeps_rank(k, IMAGE)]
VECTOR_KINDS = [k for k in REGISTRY.values() if _keeps_rank(k, VECTOR)]


@st.composite
def section_layer(draw, kinds, depth=0):
    """A layer of one section (image or vector), any registered kind that keeps its rank; containers get
    inner layers of the same section."""
    kind = draw(st.sampled_from([k for k in kinds if depth == 0 or not k.container]))
    inner = tuple(draw(st.lists(section_layer(kinds, depth + 1), min_size=0, max_size=3))) if kind.container else ()
    return L(kind.name, draw(drawn_args(kind)), inner)


@st.composite
def random_spec(draw):
    """An image section, then (at the boundary) a Flatten and a vector section."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 16)), draw(st.integers(3, 16))
    layers = draw(st.lists(section_layer(IMAGE_KINDS), min_size=0, max_size=5))
    tail = []
    if draw(st.booleans()) or not layers:
        tail = [L("Flatten", draw(drawn_args(REGISTRY["Flatten"])))] + draw(
            st.lists(section_layer(VECTOR_KINDS), min_size=0, max_size=4))
    return NetworkSpec((c, h, w), tuple(layers + tail))


def _types(layers):
    for layer in layers:
        yield layer.type
        yield from _types(layer.layers)


def test_every_registered_kind_is_drawn():
    """A new layer kind is compared with torch without touching this file: the strategies come from the
    registry, and this fails if some kind is never drawn."""
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(random_spec())
    def collect(spec):
        seen.update(_types(spec.layers))

    collect()
    assert seen == set(REGISTRY), set(REGISTRY) - seen


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
        elif t in ("BatchNorm1d", "BatchNorm2d"):
            lazy = nn.LazyBatchNorm1d if t == "BatchNorm1d" else nn.LazyBatchNorm2d
            mods.append(lazy(eps=a["eps"], momentum=a["momentum"], affine=a["affine"],
                             track_running_stats=a["track_running_stats"]))
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
            math.prod(r.out_shape) for r in s.rows if not REGISTRY[r.type].container)


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


# ----------------------------------------------------------------------------- the registry's other parts


def test_every_kinds_starter_fits_an_image_or_a_vector_and_has_its_required_fields():
    for kind in REGISTRY.values():
        fits = [shape for shape in (IMAGE, VECTOR) if summarize(NetworkSpec(shape, (kind.new(shape),))).ok]
        assert fits, f"{kind.name}: its starter works on neither an image nor a vector"
        for shape in fits:
            layer = kind.new(shape)
            assert all(f.name in layer.params for f in kind.fields if f.required), kind.name
            assert layer.layers == () or kind.container


def test_labels_come_from_the_kinds():
    from tui_dl.core.model.layers import layer_label

    assert layer_label(L("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}), {"in_channels": 1}) == \
        "Conv2d 1→6, k=5, p=2"
    assert layer_label(L("Linear", {"out_features": 120}), {"in_features": 400}) == "Linear 400→120"
    assert layer_label(L("MaxPool2d", {"kernel_size": [2, 3], "stride": 2})) == "MaxPool2d k=2×3, s=2"
    assert layer_label(L("Residual", {}, (L("ReLU"),))) == "Residual (1 layer)"
    assert layer_label(L("LeakyReLU", {"negative_slope": 0.2})) == "LeakyReLU 0.2"
    assert layer_label(L("Dropout")) == "Dropout p=0.5"
    assert layer_label(L("AdaptiveAvgPool2d")) == "AdaptiveAvgPool2d 1"
    assert layer_label(L("Tanh")) == "Tanh" and layer_label(L("Nope")) == "Nope"


def test_validate_layer_returns_every_problem_in_order():
    from tui_dl.core.model.shapes import LayerProblem, validate_layer

    args, probs = validate_layer(L("Conv2d", {"kernal_size": 3, "stride": 0}, (L("ReLU"),)), (4,))
    assert args is None
    assert [(p.path, p.field) for p in probs] == [((4,), "kernal_size"), ((4,), "stride"), ((4,), "out_channels"),
                                                   ((4,), "kernel_size"), ((4,), "layers")]
    assert probs[0].fix.set_params == {"kernal_size": None, "kernel_size": 3}
    assert probs[0].short.startswith("unknown field. Did you mean 'kernel_size'")
    assert validate_layer(L("ReLU", {}, (L("ReLU"),)))[1][0].field == "layers"
    assert validate_layer(L("Relu"))[1] == [LayerProblem((), "type", "unknown layer type 'Relu'. Did you mean "
                                                         "'ReLU'?", None, "unknown layer type 'Relu'. Did you "
                                                         "mean 'ReLU'?")]
    args, probs = validate_layer(L("Linear", {"out_features": 3}))
    assert probs == [] and args == {"in_features": None, "out_features": 3, "bias": True}


def test_problem_text_is_the_first_problem_in_one_sentence():
    s = summarize(NetworkSpec((1, 4, 4), (L("Flatten"), L("Linear"))))
    assert s.problem_text == "layer 2 (Linear): Linear needs out_features (number of outputs (neurons))."
    assert summarize(NetworkSpec((1, 4, 4), ())).problem_text.startswith("the network has no layers")
    assert summarize(NetworkSpec((1, 4, 4), (L("Flatten"),))).problem_text is None
    with pytest.raises(SpecError) as e:
        build_model(NetworkSpec((1, 4, 4), (L("Flatten"), L("Linear"))))
    assert str(e.value) == s.problem_text


def test_build_model_uses_a_given_summary(monkeypatch):
    import tui_dl.core.model.build as build

    spec = NetworkSpec((3, 8, 8), (L("Residual", {}, (L("Conv2d", {"out_channels": 4, "kernel_size": 3,
                                                                     "stride": 2, "padding": 1}),)), L("Flatten")))
    summary = summarize(spec)
    monkeypatch.setattr(build, "summarize", lambda spec: pytest.fail("summarized again"))
    model = build_model(spec, summary)
    assert count_parameters(model)[0] == summary.totals.params
    assert model[0].proj.stride == (2, 2)  # the projection shape inference chose
    assert tuple(model(torch.zeros(2, 3, 8, 8)).shape) == (2, 4 * 4 * 4)


def test_softplus_is_one_registry_entry():
    """Added as nothing but its entry: summarized, labelled, started and built like any activation."""
    spec = NetworkSpec((4,), (L("Softplus", {"beta": 2.0}),))
    s = summarize(spec)
    assert s.ok and s.totals.out_shape == (4,) and s.totals.params == 0
    model = build_model(spec, s)
    assert isinstance(model[0], nn.Softplus) and model[0].beta == 2.0 and model[0].threshold == 20.0
    x = torch.linspace(-3, 3, 8).reshape(2, 4)
    assert torch.allclose(model(x), nn.functional.softplus(x, beta=2.0))


def test_no_warning_when_only_padding_is_left_over():
    """The standard 3×3 / stride 2 / padding 1 downsampling conv leaves a padding row uncovered, no pixel."""
    s = summarize(NetworkSpec((1, 28, 28), (L("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2,
                                                        "padding": 1}),)))
    assert s.ok and s.rows[0].out_shape == (4, 14, 14) and s.rows[0].warnings == []


def _uncovered_rows_by_torch(n, k, s, p, d):
    """Input rows (of n) that get no gradient through a Conv2d: rows the windows never reach (torch's own count)."""
    import torch
    x = torch.zeros(1, 1, n, 3, requires_grad=True)
    conv = torch.nn.Conv2d(1, 1, (k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1), bias=False)
    torch.nn.init.ones_(conv.weight)
    conv(x).sum().backward()
    covered = x.grad[0, 0, :, 0] != 0
    last = int(covered.nonzero().max()) if covered.any() else -1
    return n - 1 - last


def test_dropped_rows_agree_with_torch():
    """The leftover the warning names is exactly the rows at the end of the input that torch's conv never reads.
    (Windows at least as long as the stride, so no rows are skipped between windows; a dilated window spans
    d·(k−1)+1 rows, which the formula treats as one window of that length.)"""
    from tui_dl.core.model.layers.base import _window_out
    checked = 0
    for n in (7, 8, 13, 28):
        for k in (1, 2, 3, 5):
            for s in (1, 2, 3):
                for p in (0, 1, 2):
                    for d in (1,):
                        if n + 2 * p < k or p > k // 2 or k < s:
                            continue
                        _, _, leftover = _window_out(n, k, s, p, p, d, False)
                        assert leftover == _uncovered_rows_by_torch(n, k, s, p, d), (n, k, s, p, d)
                        checked += 1
    assert checked > 50


def test_maxpool_whose_window_reads_only_padding_is_refused_with_a_fix():
    """A dilated MaxPool2d whose window falls entirely on padding: torch outputs -inf there and its backward pass
    corrupts memory (seen as an abort), so the builder refuses it and offers dilation 1."""
    spec = NetworkSpec((2, 1, 4), (L("MaxPool2d", {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": 2}),))
    s = summarize(spec)
    assert not s.ok and "reads only padding" in s.rows[0].error and s.rows[0].error_field == "padding"
    fix = s.rows[0].fix
    assert fix.set_params == {"dilation": 1}
    fixed = summarize(NetworkSpec((2, 1, 4), (spec.layers[0].with_params(**fix.set_params),)))
    assert fixed.ok and fixed.rows[0].out_shape == (2, 2, 5)
    ok = summarize(NetworkSpec((1, 8, 8), (L("MaxPool2d", {"kernel_size": 2, "padding": 1, "dilation": 2}),)))
    assert ok.ok  # dilation with padding is fine where every window reaches the input
