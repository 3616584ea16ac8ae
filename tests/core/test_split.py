"""Split-batch training (tui_dl/core/training/split.py): the parts' gradients add up to the batch's gradient, the choice
of lanes, what is never split, errors in a lane, and reproducible / resumable split runs."""

from __future__ import annotations

import threading

import pytest
import torch

from tests.core.test_train import LENET, MLP2, lenet_exp, make_exp, metrics_of, of, run
from tui_dl.core.config import schema as C
from tui_dl.core.model.build import build_model
from tui_dl.core.runs.checkpoint import load_checkpoint
from tui_dl.core.data import load_dataset
from tui_dl.core.training.events import Finished, Notice, RunStarted, StepDone
from tui_dl.core.config.experiment import experiment_from_data
from tui_dl.core.training.losses import make_objective
from tui_dl.core.model.shapes import summarize
from tui_dl.core.training.split import MAX_LANES, BatchSplitter, part_bounds, plan_lanes, splittable
from tui_dl.core.training.loop import iter_training


@pytest.fixture(scope="module")
def digits():
    return load_dataset("synthetic-digits", num_samples=400, val_split=0.1, seed=0, input_shape=(1, 28, 28))


def _exp(layers, input_shape, loss="cross_entropy", classes_data="synthetic-digits"):
    return experiment_from_data({"name": "t", "input": list(input_shape), "layers": layers,
                                 "data": {"name": classes_data}, "train": {"loss": loss}}, "test")


def _full_batch_grads(model, loss_fn, x, y):
    model.zero_grad(set_to_none=True)
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("lanes,n", [(2, 64), (2, 33), (3, 50), (4, 64), (2, 3)])
def test_the_parts_gradients_add_up_to_the_batch_gradient(lanes, n):
    torch.manual_seed(0)
    exp = _exp(LENET, (1, 28, 28))
    model = build_model(exp.network)
    obj = make_objective(exp, summarize(exp.network).totals.out_shape, 10, "digits")
    x = torch.randn(n, 1, 28, 28)
    y = torch.randint(0, 10, (n,))
    ref_loss, ref_grads = _full_batch_grads(model, obj.loss, x, y)
    ref_correct = int(obj.correct(model(x).detach(), y))
    model.zero_grad(set_to_none=True)
    sp = BatchSplitter(model, lanes, lambda idx: (x[idx], y[idx]), obj.loss, obj.correct)
    try:
        loss, correct = sp.step(torch.arange(n))
    finally:
        sp.close()
    assert torch.allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
    assert int(correct) == ref_correct
    for p, g in zip(model.parameters(), ref_grads):
        assert torch.allclose(p.grad, g, rtol=1e-4, atol=1e-6), (p.shape, (p.grad - g).abs().max())


@pytest.mark.parametrize("loss,layers", [
    ("cross_entropy", MLP2), ({"name": "cross_entropy", "label_smoothing": 0.1}, MLP2), ("mse", MLP2),
    ("mae", MLP2), ("bce", MLP2), ({"name": "focal", "gamma": 2.0, "alpha": 0.25}, MLP2),
    ("bce", [{"type": "Linear", "out_features": 3}, {"type": "Tanh"}, {"type": "Linear", "out_features": 1}]),
    ("nll", MLP2 + [{"type": "LogSoftmax"}]),
])
def test_every_loss_is_a_mean_over_samples(loss, layers):
    """The split relies on it: loss(batch) = Σ loss(part) × part/batch, for every loss the engine offers."""
    torch.manual_seed(1)
    exp = _exp(layers, (2,), loss=loss, classes_data="moons")
    model = build_model(exp.network)
    obj = make_objective(exp, summarize(exp.network).totals.out_shape, 2, "moons")
    x, y = torch.randn(37, 2), torch.randint(0, 2, (37,))
    with torch.no_grad():
        out = model(x)
        whole = obj.loss(out, y)
        parts = sum(obj.loss(out[s:e], y[s:e]) * (e - s) / 37 for s, e in part_bounds(37, 3))
    assert torch.allclose(whole, parts, rtol=1e-5, atol=1e-7)
    assert {(loss if isinstance(loss, str) else loss["name"])} <= set(C.LOSSES)


def test_part_bounds_cover_the_batch_evenly():
    for n in range(1, 70):
        for lanes in range(1, 5):
            b = part_bounds(n, lanes)
            assert b[0][0] == 0 and b[-1][1] == n
            assert all(a[1] == c[0] for a, c in zip(b, b[1:]))
            sizes = [e - s for s, e in b]
            assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1 and len(b) == min(lanes, n)


@pytest.mark.parametrize("layer,ok", [
    ({"type": "BatchNorm2d"}, False), ({"type": "Dropout", "p": 0.5}, False), ({"type": "Dropout2d", "p": 0.2}, False),
    ({"type": "Dropout", "p": 0.0}, True), ({"type": "ReLU"}, True),
])
def test_nets_that_mix_samples_or_draw_random_numbers_are_not_split(layer, ok):
    layers = [LENET[0], layer] + LENET[1:]
    model = build_model(_exp(layers, (1, 28, 28)).network)
    can, why = splittable(model)
    assert can is ok and (bool(why) is not ok)


def test_batchnorm_inside_a_residual_block_is_found():
    layers = [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
              {"type": "Residual", "layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
                                              {"type": "BatchNorm2d"}]},
              {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
    assert splittable(build_model(_exp(layers, (1, 8, 8)).network))[0] is False


@pytest.mark.parametrize("threads,batch,cores,pref,lanes", [
    (1, 64, 2, None, 1),            # one thread: nothing to split across
    (2, 64, 2, None, 2),            # the 2-core laptop
    (4, 64, 4, None, 4),
    (8, 64, 8, None, 1),            # many cores: intra-op threading is the better use
    (8, 64, 8, True, MAX_LANES),    # forced: at most MAX_LANES lanes
    (2, 64, 2, False, 1),           # turned off
    (2, 8, 2, None, 1),             # too small a batch for two parts of MIN_PART
    (2, 16, 2, None, 2),
])
def test_plan_lanes(threads, batch, cores, pref, lanes):
    assert plan_lanes(threads, batch, cores, pref) == lanes


def test_an_error_in_a_lane_reaches_the_caller_and_the_splitter_still_closes():
    torch.manual_seed(0)
    exp = _exp(LENET, (1, 28, 28))
    model = build_model(exp.network)
    x, y = torch.randn(16, 1, 28, 28), torch.randint(0, 10, (16,))
    calls = []

    def batch(idx):
        calls.append(threading.current_thread().name)
        if threading.current_thread().name != threading.main_thread().name:
            raise RuntimeError("boom in a lane")
        return x[idx], y[idx]

    sp = BatchSplitter(model, 2, batch, torch.nn.functional.cross_entropy, lambda o, t: (o.argmax(1) == t).sum())
    with pytest.raises(RuntimeError, match="boom in a lane"):
        sp.step(torch.arange(16))
    assert len(calls) == 2
    sp.close()
    sp.close()  # twice is fine
    assert not any(t.is_alive() for t in sp._threads)
    with pytest.raises(RuntimeError, match="closed"):
        sp.step(torch.arange(16))


def test_a_split_run_says_so_and_repeats_exactly(digits, tmp_path):
    exp = lenet_exp(threads=2, epochs=1)
    a = run(exp, tmp_path, digits, name="a")
    b = run(exp, tmp_path, digits, name="b")
    assert metrics_of(a) == metrics_of(b)
    assert any("split across 2 CPU threads" in n.message for n in of(a, Notice))
    assert of(a, RunStarted)[0].threads == 2
    assert load_checkpoint(tmp_path / "a")["lanes"] == 2
    off = run(lenet_exp(threads=2, epochs=1, split_batch=False), tmp_path, digits, name="off")
    assert load_checkpoint(tmp_path / "off")["lanes"] == 1
    # the same batch gradient, rounded differently: the runs end close, not bit-equal
    assert abs(of(off, Finished)[0].test_loss - of(a, Finished)[0].test_loss) < 0.05
    assert not [t for t in threading.enumerate() if t.name.startswith("tui-dl-lane")]


def test_a_split_run_stopped_mid_epoch_resumes_bit_identically(digits, tmp_path):
    exp = lenet_exp(threads=2, epochs=2, log_every=2)
    full = run(exp, tmp_path, digits, name="full")
    d = tmp_path / "part"
    stop = threading.Event()
    first = []
    for ev in iter_training(exp, run_dir=d, data=digits, should_stop=stop):
        first.append(ev)
        if isinstance(ev, StepDone) and ev.step >= 4:
            stop.set()
    assert load_checkpoint(d)["position"]["batch"] > 0
    second = list(iter_training(None, resume=d, data=digits))
    both = [e for e in first + second if not isinstance(e, (RunStarted, Finished))] + of(second, Finished)
    assert metrics_of(both) == metrics_of(full)


def test_split_batch_on_where_it_cannot_apply_says_why(tmp_path):
    moons = load_dataset("moons", num_samples=200, val_split=0.1, seed=0)
    exp = make_exp(MLP2, [2], {"name": "moons"}, epochs=1, threads=2, split_batch=True,
                   optimizer={"name": "gd", "lr": 0.1})
    ev = run(exp, tmp_path, moons)
    assert any("does not split" in n.message and "gd" in n.message for n in of(ev, Notice))
