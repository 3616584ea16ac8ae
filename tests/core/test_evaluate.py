"""``evaluate`` never puts a float64 tensor on an Apple MPS device (MPS has no float64: the first evaluation
after epoch 1 would raise on every Apple-silicon laptop). Tested on a fake device path: the code is made to
believe its tensors are on "mps" while they really stay on the CPU (issue 13 item 19)."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.training import steps
from tui_dl.core.training.losses import Objective
from tui_dl.core.training.steps import evaluate, loss_sum_dtype


@pytest.mark.parametrize("device,dtype", [("cpu", torch.float64), ("cuda", torch.float64), ("cuda:1", torch.float64),
                                          ("mps", torch.float32)])
def test_the_loss_sum_dtype_has_no_float64_on_mps(device, dtype):
    assert loss_sum_dtype(torch.device(device)) == dtype


class _OnFakeDevice:
    """The evaluation tensor ``x`` as if it lived on ``device``: slices are the real (CPU) rows."""

    def __init__(self, x: torch.Tensor, device: str):
        self._x, self.device, self.shape = x, torch.device(device), x.shape

    def __getitem__(self, item):
        return self._x[item]


def _objective(k: int) -> Objective:
    return Objective("cross_entropy", k, k, lambda out, y: torch.nn.functional.cross_entropy(out, y))


@pytest.mark.parametrize("fake", ["mps", "cuda"])
def test_evaluate_on_a_fake_device_never_asks_for_float64_there(fake, monkeypatch):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 4)
    x, y = torch.randn(50, 3), torch.randint(0, 4, (50,))
    want = evaluate(model, x, y, _objective(4), lambda t: t, 16, confusion=True)

    made: list[tuple[torch.dtype, torch.device]] = []
    converted: list[torch.dtype] = []
    real_zeros, real_to = torch.zeros, torch.Tensor.to

    def zeros(*size, dtype=None, device=None, **kw):
        made.append((dtype, torch.device(device) if device is not None else torch.device("cpu")))
        return real_zeros(*size, dtype=dtype, **kw)  # really on the CPU

    def to(self, *args, **kw):
        target = kw.get("dtype", next((a for a in args if isinstance(a, torch.dtype)), None))
        if target is not None:
            converted.append(target)
        return real_to(self, *args, **kw)

    def double(self):
        converted.append(torch.float64)
        return real_to(self, torch.float64)

    monkeypatch.setattr(steps.torch, "zeros", zeros)
    monkeypatch.setattr(torch.Tensor, "to", to)
    monkeypatch.setattr(torch.Tensor, "double", double)
    got = evaluate(model, _OnFakeDevice(x, fake), y, _objective(4), lambda t: t, 16, confusion=True)

    on_fake = [dt for dt, dev in made if dev.type == fake]
    assert on_fake, made  # the sums were made for the (fake) device: nothing is read back per batch
    if fake == "mps":
        assert torch.float64 not in on_fake, made
        assert torch.float64 not in converted, converted
        assert got[0] == pytest.approx(want[0], rel=1e-6)
    else:  # CUDA has float64: the sum keeps its precision there
        assert torch.float64 in on_fake
        assert got[0] == want[0]
    assert got[1:] == want[1:]
