"""cuda_setup.configure leaves torch's deterministic switch alone unless it must turn it off: the call imports
torch's compiler stack (150 MiB of RSS, 1.5 s measured on torch 2.14), which a CPU run never needs."""

from __future__ import annotations

import types

import torch

from tui_dl.core.training import cuda_setup


def test_non_deterministic_run_does_not_touch_the_switch(monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda on, **kw: calls.append(on))
    monkeypatch.setattr(torch, "are_deterministic_algorithms_enabled", lambda: False)
    cuda_setup.configure(types.SimpleNamespace(deterministic=False, tf32=None), torch.device("cpu"))
    assert calls == []


def test_a_deterministic_run_before_is_turned_off():
    cfg_on = types.SimpleNamespace(deterministic=True, tf32=None)
    try:
        cuda_setup.configure(cfg_on, torch.device("cpu"))
        assert torch.are_deterministic_algorithms_enabled()
        cuda_setup.configure(types.SimpleNamespace(deterministic=False, tf32=None), torch.device("cpu"))
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
