"""Checkpoints load anywhere (issue 16 item 4): every tensor is saved on the CPU, the optimizer's state included,
so a checkpoint from a GPU server opens on a laptop; loading maps to ``map_location``."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.model.build import build_model
from tui_dl.core.runs.checkpoint import load_checkpoint, model_from_checkpoint, on_cpu, save_checkpoint


class OnFakeGPU(torch.Tensor):
    """A tensor that says it lives on ``cuda:0`` (the path a GPU run's optimizer state takes) on a machine with no
    GPU. Moving it with ``.to("cpu")`` gives a plain CPU tensor and is counted."""

    moved = 0

    @property
    def device(self):  # noqa: D401 - what the checkpoint code asks
        return torch.device("cuda", 0)

    def to(self, *args, **kwargs):
        assert args == ("cpu",) or kwargs.get("device") == "cpu", (args, kwargs)
        OnFakeGPU.moved += 1
        return self.as_subclass(torch.Tensor).clone()

    def detach(self):
        return self


def fake_gpu(t: torch.Tensor) -> OnFakeGPU:
    return t.detach().clone().as_subclass(OnFakeGPU)


def _all_tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _all_tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _all_tensors(v)


def test_a_checkpoint_whose_tensors_were_on_another_device_is_saved_with_cpu_tensors_only(tmp_path):
    exp = load_experiment("presets/lenet5.yaml")
    torch.manual_seed(0)
    model = build_model(exp.network)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    model(torch.randn(3, 1, 28, 28)).sum().backward()
    opt.step()
    state = opt.state_dict()
    # what a CUDA run hands the checkpoint: weights and the optimizer's moments on the device
    weights = {k: fake_gpu(v) for k, v in model.state_dict().items()}
    for s in state["state"].values():
        s["exp_avg"], s["exp_avg_sq"] = fake_gpu(s["exp_avg"]), fake_gpu(s["exp_avg_sq"])
    OnFakeGPU.moved = 0
    save_checkpoint(tmp_path / "gpu.pt", model=weights, optimizer=state, spec=exp.network.to_dict(),
                    experiment=exp.to_dict(), epoch_state={"losses": fake_gpu(torch.ones(4))},
                    nested=[(fake_gpu(torch.zeros(2)),)])
    assert OnFakeGPU.moved == len(weights) + 2 * len(state["state"]) + 2
    raw = torch.load(tmp_path / "gpu.pt", weights_only=True)  # a subclass left in it would be refused here
    tensors = list(_all_tensors(raw))
    assert len(tensors) >= len(weights) + 2 * len(state["state"])
    assert all(type(t) is torch.Tensor and t.device.type == "cpu" for t in tensors)
    again, ck = model_from_checkpoint(tmp_path / "gpu.pt", map_location="cpu")
    assert torch.equal(again.state_dict()["0.weight"], model.state_dict()["0.weight"])
    assert torch.equal(ck["optimizer"]["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_on_cpu_keeps_cpu_tensors_as_they_are_and_leaves_other_values():
    t = torch.arange(3.0)
    out = on_cpu({"a": t, "b": [1, "x", None, (t,)], "c": 2.5})
    assert out["a"] is t and out["b"][3][0] is t and out["b"][:3] == [1, "x", None] and out["c"] == 2.5


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_real_cuda_run_state_is_saved_on_the_cpu(tmp_path):
    model = torch.nn.Linear(3, 2).cuda()
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 3, device="cuda")).sum().backward()
    opt.step()
    exp = load_experiment("presets/fnn_2_3_1.yaml")
    save_checkpoint(tmp_path / "c.pt", model=model.state_dict(), optimizer=opt.state_dict(),
                    spec=exp.network.to_dict(), experiment=exp.to_dict())
    raw = torch.load(tmp_path / "c.pt", weights_only=True, map_location=None)
    assert all(t.device.type == "cpu" for t in _all_tensors(raw))
    assert load_checkpoint(tmp_path / "c.pt")["optimizer"]["state"][0]["exp_avg"].device.type == "cpu"
