"""Tiny runs for the runs-toolkit tests: a 2-D toy set and a one-hidden-layer network (well under a second)."""

from __future__ import annotations

TOY_YAML = """\
name: Toy MLP
input: [2]
layers:
  - {type: Linear, out_features: 8}
  - {type: ReLU}
  - {type: Linear, out_features: 2}
data: {name: moons, num_samples: 200, val_split: 0.2}
train: {epochs: EPOCHS, batch_size: 32, log_every: 1, threads: 1, optimizer: {name: adam, lr: 0.01}}
"""


def toy_experiment(epochs: int = 2, **train):
    from tui_dl.core.config.experiment import parse_experiment

    text = TOY_YAML.replace("EPOCHS", str(epochs))
    exp = parse_experiment(text, "toy.yaml")
    if train:
        import dataclasses

        exp = dataclasses.replace(exp, train=dataclasses.replace(exp.train, **train))
    return exp


def train(run_dir, epochs: int = 2, origin=None, **train_fields):
    """Train the toy experiment into ``run_dir``; the list of events."""
    from tui_dl.core.training.loop import iter_training

    return list(iter_training(toy_experiment(epochs, **train_fields), run_dir=run_dir, origin=origin))
