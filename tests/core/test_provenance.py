"""init_sha256: the SHA-256 of a run's initial weights (core/runs/provenance.py), saved in summary.json."""

from __future__ import annotations

import json

import torch

from tui_dl.core.runs.provenance import state_sha256


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                               torch.nn.Linear(2 * 4 * 4, 3))


def test_the_hash_depends_on_the_values_not_on_the_memory_layout():
    a, b = _net(0), _net(0)
    assert state_sha256(a.state_dict()) == state_sha256(b.state_dict())
    assert len(state_sha256(a.state_dict())) == 64
    b = b.to(memory_format=torch.channels_last)
    assert state_sha256(a.state_dict()) == state_sha256(b.state_dict())
    assert state_sha256(a.state_dict()) != state_sha256(_net(1).state_dict())
    with torch.no_grad():
        b[3].bias[0] += 1e-7  # one float changed by one bit or so
    assert state_sha256(a.state_dict()) != state_sha256(b.state_dict())
    # the key order does not matter; the names do
    sd = a.state_dict()
    assert state_sha256(dict(reversed(list(sd.items())))) == state_sha256(sd)
    assert state_sha256({("x" + k): v for k, v in sd.items()}) != state_sha256(sd)


def test_a_run_saves_the_hash_of_its_seeded_initial_weights(tmp_path):
    from tui_dl.core.config.experiment import experiment_from_data
    from tui_dl.core.model.build import build_model
    from tui_dl.core.training.loop import iter_training, seed_everything

    exp = experiment_from_data({
        "name": "prov", "input": [2], "layers": [{"type": "Linear", "out_features": 4}, {"type": "ReLU"},
                                                 {"type": "Linear", "out_features": 2}],
        "data": {"name": "moons", "num_samples": 200},
        "train": {"epochs": 1, "batch_size": 50, "seed": 7, "threads": 1, "checkpoints": False}}, "prov")
    list(iter_training(exp, run_dir=tmp_path / "run"))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    seed_everything(7)
    assert summary["init_sha256"] == state_sha256(build_model(exp.network).state_dict())
