"""A trained run opened for inference: the network in eval mode, its experiment, the test images it is judged on,
and the same network with the input normalisation folded in, so that it takes images in [0, 1].

``load_trained(run_or_checkpoint)`` is the one entry point. A run folder means its ``last.pt`` (the model whose
test accuracy ``summary.json`` reports); give ``RUN/best.pt`` for the best epoch. The dataset is loaded the way
the run loaded it (the one it really used, when a fallback stood in), and only image datasets can be looked
inside: a 2-D toy set has no pixels.

Errors are :class:`~tui_dl.core.runs.checkpoint.CheckpointError` (no such run, not a run folder, a damaged or
foreign checkpoint, weights that do not fit the network) and :class:`~tui_dl.core.data.DataError` (the test set
cannot be had, or it is not images); each message names the path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence, Union

import torch
from torch import nn

from tui_dl.core.config.experiment import Experiment
from tui_dl.core.data import DataError, LoadedData, TensorSplit, load_dataset
from tui_dl.core.i18n import _
from tui_dl.core.model.spec import NetworkSpec
from tui_dl.core.model.preprocess import WithPreprocessing
from tui_dl.core.runs.checkpoint import (CheckpointError, experiment_from_checkpoint, load_checkpoint,
                                         model_from_checkpoint, resolve_checkpoint_path)
from tui_dl.core.training.losses import Objective, ObjectiveError, make_objective
from tui_dl.core.training.plan import data_request

__all__ = ["Normalized", "TrainedModel", "load_trained", "from_parts", "CheckpointError", "DataError",
           "StopCheck", "BatchProgress", "stop_requested"]

#: What the long computations take to be stopped: a ``threading.Event`` (checked with ``is_set``) or a function
#: returning True to stop. They check it once per batch and return None when it fired.
StopCheck = Union[Callable[[], bool], Any, None]
#: ``progress(done, total)``: batches done so far out of all, called after each batch.
BatchProgress = Callable[[int, int], None]


def stop_requested(should_stop: StopCheck) -> bool:
    if should_stop is None:
        return False
    is_set = getattr(should_stop, "is_set", None)
    return bool(is_set() if is_set is not None else should_stop())


class Normalized(WithPreprocessing):
    """``net((x - mean) / std)``: a network trained on normalised input, as a function of images in [0, 1]
    (the module every export wraps the network in, :class:`~tui_dl.core.model.preprocess.WithPreprocessing`).

    The gradient of its output with respect to ``x`` is a gradient with respect to pixels, so an attack's ε
    is in pixel units (ε = 0.1 moves each pixel by a tenth of the range from black to white)."""

    def __init__(self, net: nn.Module, mean: Sequence[float], std: Sequence[float]):
        super().__init__(net, mean, std, sample_dims=3)


@dataclass
class TrainedModel:
    """A trained network ready to be looked inside. ``model`` takes images in [0, 1]; ``network`` is the
    trained ``nn.Sequential`` itself (normalised input), whose layers the feature maps hook."""

    path: Path                  # the checkpoint file
    run_dir: Path               # the folder holding it (attack.json is written here)
    experiment: Experiment
    checkpoint: dict[str, Any]
    network: nn.Sequential      # eval mode, gradients of its weights off
    model: Normalized           # the same weights, input in [0, 1]
    data: LoadedData
    objective: Objective        # the run's loss and how it reads predictions
    device: torch.device
    notices: list[str] = field(default_factory=list)

    # -- what the test set is -----------------------------------------------------------------
    @property
    def test(self) -> TensorSplit:
        return self.data.test

    @property
    def n_test(self) -> int:
        return len(self.data.test)

    @property
    def classes(self) -> list[str]:
        return list(self.data.classes)

    @property
    def mean(self) -> tuple[float, ...]:
        return tuple(self.data.mean)

    @property
    def std(self) -> tuple[float, ...]:
        return tuple(self.data.std)

    @property
    def spec(self) -> NetworkSpec:
        return self.experiment.network

    @property
    def epoch(self) -> int | None:
        """The last epoch the weights finished (1-based), or None for the initial weights."""
        done = self.checkpoint.get("epochs_completed")
        return int(done) if isinstance(done, int) and done > 0 else None

    def class_name(self, k: int) -> str:
        return self.data.classes[k] if 0 <= k < len(self.data.classes) else str(k)

    def describe(self) -> str:
        """One line: which network, which weights, which test set."""
        ep = self.epoch
        total = self.experiment.train.epochs
        if ep:
            return _("{name}, after epoch {epoch} of {epochs} ({file}); test set: {n:,} images of {data}").format(
                name=self.experiment.name, epoch=ep, epochs=total, file=self.path.name, n=self.n_test,
                data=self.data.name)
        return _("{name}, untrained (initial weights) ({file}); test set: {n:,} images of {data}").format(
            name=self.experiment.name, file=self.path.name, n=self.n_test, data=self.data.name)

    def probabilities(self, out: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, K) from network outputs: softmax of scores, or the outputs themselves when
        the network already ends with Softmax (exp for LogSoftmax); a 1-output network gives [1 − p, p]."""
        last = self.spec.layers[-1].type if self.spec.layers else ""
        out = out.float()
        if self.objective.outputs == 1:
            p = out.reshape(-1)
            if not self.objective.threshold:  # a logit (threshold 0)
                p = torch.sigmoid(p)
            p = p.clamp(0, 1)
            return torch.stack([1 - p, p], 1)
        if last == "Softmax":
            return out
        if last == "LogSoftmax":
            return out.exp()
        return torch.softmax(out, 1)

    # -- images --------------------------------------------------------------------------------
    def images(self, index: Any = slice(None)) -> torch.Tensor:
        """Test images as float32 in [0, 1], (N, C, H, W) on the model's device: an int, a slice, a list or an
        index tensor (an int gives a batch of one)."""
        x = self.data.test.x
        if isinstance(index, int):
            index = slice(index, index + 1)
        elif isinstance(index, (list, tuple)):
            index = torch.as_tensor(index, dtype=torch.long)
        return x[index].to(self.device, torch.float32).mul_(1.0 / 255.0)

    def labels(self, index: Any = slice(None)) -> torch.Tensor:
        y = self.data.test.y
        if isinstance(index, int):
            index = slice(index, index + 1)
        elif isinstance(index, (list, tuple)):
            index = torch.as_tensor(index, dtype=torch.long)
        return y[index].to(self.device)

    def check_index(self, i: int) -> int:
        """``i`` itself when it names a test image; else a ValueError naming the range."""
        if not 0 <= int(i) < self.n_test:
            raise ValueError(_("image {i} does not exist: the test set has {n:,} images (0 to {last:,})").format(
                i=i, n=self.n_test, last=self.n_test - 1))
        return int(i)


def _build(ckpt: dict[str, Any], path: Path) -> nn.Sequential:
    net, _ = model_from_checkpoint(ckpt, source=str(path))
    return net


def _load_data(exp: Experiment, ckpt: dict[str, Any], path: Path) -> LoadedData:
    req = data_request(exp, ckpt)
    try:
        return load_dataset(**req)
    except DataError as e:
        raise DataError(_("the test set of {path} could not be loaded ({name}): {error}").format(
            path=path, name=req["name"], error=e), recoverable=e.recoverable) from None


def from_parts(network: nn.Sequential, experiment: Experiment, data: LoadedData, *, path: str | os.PathLike = "",
               checkpoint: dict[str, Any] | None = None, device: str | torch.device = "cpu") -> TrainedModel:
    """A :class:`TrainedModel` from a network already in memory (the app, right after a run; the tests)."""
    p = Path(path) if path else Path("<memory>")
    if data.test.x.dtype != torch.uint8 or data.test.x.dim() != 4:
        raise DataError(_("{path}: the run trained on {data}, whose samples are {shape} numbers, not images: "
                          "looking inside the model (gallery, feature maps, adversarial examples) needs an image "
                          "dataset such as mnist, fashion-mnist or synthetic-digits.").format(
            path=p, data=data.name, shape=tuple(data.test.x.shape[1:])))
    dev = torch.device(device)
    network.eval()
    network.requires_grad_(False)
    network.to(dev)
    model = Normalized(network, data.mean, data.std).to(dev).eval()
    with torch.no_grad():
        out = network(torch.zeros((1, *data.input_shape), device=dev))
    try:
        objective = make_objective(experiment, tuple(out.shape[1:]), data.num_classes, data.name)
    except ObjectiveError as e:
        raise CheckpointError(f"{p}: {e}") from None
    return TrainedModel(p, p.parent if path else Path("."), experiment, checkpoint or {}, network, model,
                        data, objective, dev, list(objective.notices))


def load_trained(where: str | os.PathLike, *, device: str | torch.device = "cpu",
                 data: LoadedData | None = None) -> TrainedModel:
    """Open a run folder (its ``last.pt``) or a checkpoint file for inference. ``data``: the run's dataset,
    when the caller already has it in memory (else it is loaded as the run loaded it).

    Raises :class:`CheckpointError` or :class:`DataError`, each naming the path."""
    path = resolve_checkpoint_path(where)
    ckpt = load_checkpoint(path)
    exp = experiment_from_checkpoint(ckpt, str(path))
    net = _build(ckpt, path)
    if data is None:
        data = _load_data(exp, ckpt, path)
    return from_parts(net, exp, data, path=path, checkpoint=ckpt, device=device)
