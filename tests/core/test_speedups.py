"""Speed-ups that must not change what is learned: ReLU → MaxPool2d reordered for training (bit-identical forward
and backward), and denormal floats flushed to zero in every training thread (and only while training)."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn

from tests.core.test_train import LENET, lenet_exp, metrics_of, run
from tui_dl.core.training import engine as E, loop as T
from tui_dl.core.model.build import build_model, pool_before_relu
from tui_dl.core.data import load_dataset
from tui_dl.core.config.experiment import experiment_from_data, load_experiment
from tui_dl.core.training.split import BatchSplitter

DENORMAL = 1e-39  # below float32's smallest normal number (1.18e-38)


def _flushes() -> bool:
    """Whether this thread flushes denormals now (a denormal times one comes out as zero)."""
    return float(torch.tensor([DENORMAL]) * 1.0) == 0.0


def _net(layers, input_shape=(1, 28, 28)):
    return experiment_from_data({"name": "t", "input": list(input_shape), "layers": layers}, "test").network


def _kinds(seq: nn.Module) -> list[str]:
    return [type(m).__name__ for m in seq]


def _grads(model, x, g):
    torch.manual_seed(1)  # the same dropout masks for both orders
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_()
    out = model(x)
    out.backward(g)
    return out.detach(), x.grad, [p.grad.clone() for p in model.parameters()]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("synthetic-digits", num_samples=300, val_split=0.1, seed=0, input_shape=(1, 28, 28))


# ----------------------------------------------------------------------------- ReLU → MaxPool2d


def test_lenet_trains_with_pooling_before_each_relu_and_the_same_state_dict_keys():
    model = build_model(_net(LENET))
    keys = list(model.state_dict())
    assert pool_before_relu(model) == 2
    assert _kinds(model)[:6] == ["Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU"]
    assert list(model.state_dict()) == keys
    assert pool_before_relu(model) == 0  # nothing left to reorder


@pytest.mark.parametrize("preset", ["lenet5", "simple_cnn", "resnet_small", "lenet5_sigmoid", "mlp_mnist"])
@pytest.mark.parametrize("ties", [False, True])
def test_reordered_nets_compute_the_same_bits_forward_and_backward(preset, ties):
    """Integer-valued weights and inputs make exact ties inside the pooling windows, the case where a different
    order could route a gradient to a different element."""
    net = load_experiment(f"presets/{preset}.yaml").network
    torch.manual_seed(0)
    a = build_model(net)
    if ties:
        with torch.no_grad():
            for p in a.parameters():
                p.copy_(torch.randint(-2, 3, p.shape).float())
    b = build_model(net)
    b.load_state_dict(a.state_dict())
    n = pool_before_relu(b)
    a.train(), b.train()
    x = torch.randint(-2, 3, (8, *net.input_shape)).float() if ties else torch.randn(8, *net.input_shape)
    out = a(x)
    g = torch.randn_like(out)
    for fmt in (torch.contiguous_format, torch.channels_last):
        if fmt is torch.channels_last and x.dim() != 4:
            continue
        a2, b2 = a.to(memory_format=fmt), b.to(memory_format=fmt)
        xa = x.contiguous(memory_format=fmt)
        ra, rb = _grads(a2, xa, g), _grads(b2, xa, g)
        assert torch.equal(ra[0], rb[0]), (preset, n)
        assert torch.equal(ra[1], rb[1])
        for ga, gb in zip(ra[2], rb[2]):
            assert torch.equal(ga, gb)


def test_only_relu_then_maxpool_is_reordered_including_inside_residual_blocks():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AvgPool2d(2),      # average pooling: no
                          nn.Sigmoid(), nn.MaxPool2d(2),                        # not ReLU: no
                          nn.ReLU(), nn.MaxPool2d(2, return_indices=True),      # indices would differ: no
                          nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, padding=1)))  # nested, padded: yes
    assert pool_before_relu(model) == 1
    assert _kinds(model[7]) == ["MaxPool2d", "ReLU"]
    assert _kinds(model)[:7] == ["Conv2d", "ReLU", "AvgPool2d", "Sigmoid", "MaxPool2d", "ReLU", "MaxPool2d"]
    net = _net([{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
                {"type": "Residual", "layers": [{"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 3,
                                                                   "stride": 1, "padding": 1}]}])
    m = build_model(net)
    assert pool_before_relu(m) == 1
    assert _kinds(m[1].body) == ["MaxPool2d", "ReLU"]


def test_the_trainer_reorders_and_its_checkpoints_load_into_the_net_as_built(digits, tmp_path):
    from tui_dl.core.runs.checkpoint import load_checkpoint

    ev = run(lenet_exp(epochs=1, threads=1), tmp_path, digits, name="r")
    ck = load_checkpoint(tmp_path / "r")
    plain = build_model(_net(LENET))
    plain.load_state_dict(ck["model"])  # strict: the same keys as the spec's own order
    assert metrics_of(ev)


def test_training_is_the_same_with_and_without_the_reordering(digits, tmp_path, monkeypatch):
    exp = lenet_exp(epochs=1, threads=1)
    on = run(exp, tmp_path, digits, name="on")
    monkeypatch.setattr(E, "POOL_BEFORE_RELU", False)
    off = run(exp, tmp_path, digits, name="off")
    assert metrics_of(on) == metrics_of(off)


# ----------------------------------------------------------------------------- denormals


def test_a_training_thread_flushes_denormals_only_while_it_trains(digits, tmp_path):
    assert not _flushes()
    seen = []
    for _ in T.iter_training(lenet_exp(epochs=1, threads=1), run_dir=tmp_path / "r", data=digits):
        seen.append(_flushes())
    assert seen and all(seen)
    assert not _flushes()  # restored when the run ended


def test_a_stopped_generator_restores_the_flag(digits, tmp_path):
    gen = T.iter_training(lenet_exp(epochs=1, threads=1), run_dir=tmp_path / "r", data=digits)
    next(gen)
    assert _flushes()
    gen.close()
    assert not _flushes()


def test_it_can_be_switched_off(digits, tmp_path, monkeypatch):
    monkeypatch.setattr(E, "FLUSH_DENORMAL", False)
    seen = [_flushes() for _ in T.iter_training(lenet_exp(epochs=1, threads=1), run_dir=tmp_path / "r",
                                               data=digits)]
    assert seen and not any(seen)


@pytest.mark.parametrize("flush", [True, False])
def test_split_lanes_flush_denormals_in_their_own_threads(flush):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    lanes = {}

    def batch(idx):
        lanes[threading.current_thread().name] = _flushes()
        return x[idx], y[idx]

    sp = BatchSplitter(model, 2, batch, nn.functional.cross_entropy, lambda o, t: (o.argmax(1) == t).sum(),
                       flush_denormal=flush)
    try:
        sp.step(torch.arange(32))
    finally:
        sp.close()
    helper = [v for k, v in lanes.items() if k.startswith("tui-dl-lane")]
    assert helper == [flush]
