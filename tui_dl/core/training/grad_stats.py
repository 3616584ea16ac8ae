"""Per-layer gradient statistics, recorded on the steps that are logged (every ``train.log_every``-th).

For each top-level layer of the spec that has trainable parameters (named ``"L1 Conv2d"``: its 1-based index
in the spec and its type) a logged step records

- ``grad_norm``: the L2 norm of the layer's gradient (all its parameters together), as the optimizer gets it
  (after ``grad_clip``);
- ``grad_max``: the largest ``|g|`` of any of its parameters;
- ``update_ratio``: ``‖Δw‖ / ‖w‖``, the size of the optimizer's step against the weights it changed (the
  weights are copied before the step, on logged steps only). A healthy run sits near 1e-3 (log10 ≈ −3).

and for each top-level ``ReLU`` layer ``dead_share``: the share of its units (every channel at every position
of one sample's output) whose input was ≤ 0 for every sample of the batch (its largest input over the batch ≤ 0), so that the ReLU passed nothing
and no gradient for the whole batch. When the trainer runs a ``ReLU → MaxPool2d`` pair pool first
(:func:`~tui_dl.core.model.build.pool_before_relu`), the pool's input is watched: the same units as the spec's
order.

Cost: nothing on steps that are not logged. On a logged step the ReLUs get a forward pre-hook for that step
only, the weights are cloned once, and every number is stacked into one tensor on the device, which is read
back together with the logged loss by :meth:`GradRecorder.read`, the one read-back the step event already
needs (``benchmarks.explore.grad_stats_cost`` measures it).

The step strategies call :func:`optimizer_step` in place of ``optimizer.step()``; the trainer arms the
recorder before a step that will be logged and reads it when it emits the step event.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["GradRecorder", "optimizer_step", "read_logged"]


class GradRecorder:
    """Records the per-layer numbers of one armed step; ``read`` hands them over as plain dicts."""

    def __init__(self, spec, model: nn.Module):
        self.param_layers: list[tuple[int, str, list[nn.Parameter]]] = []
        self.relu_layers: list[tuple[int, str, nn.Module]] = []
        seq = list(model.children()) if isinstance(model, nn.Sequential) else []
        layers = spec.layers if len(seq) == len(spec.layers) else ()
        for i, layer in enumerate(layers):
            module = seq[i]
            name = f"L{i + 1} {layer.type}"
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                self.param_layers.append((i + 1, name, params))
            if layer.type == "ReLU":
                watched = _pre_activation_module(seq, i)
                if watched is not None:
                    self.relu_layers.append((i + 1, name, watched))
        self.params = [p for _, _, ps in self.param_layers for p in ps]
        self.armed = False
        self._handles: list[Any] = []
        self._dead: list[list[torch.Tensor]] = [[] for _ in self.relu_layers]
        self._before: list[torch.Tensor] | None = None
        self._grads: list[torch.Tensor] = []
        self._pending: torch.Tensor | None = None
        self._seg: torch.Tensor | None = None   # each tracked parameter's layer (its position in param_layers)

    @property
    def empty(self) -> bool:
        return not self.param_layers and not self.relu_layers

    # -- one logged step ------------------------------------------------------------------------
    def arm(self) -> None:
        """Watch the next step: hook the ReLUs (their pre-activations, for this step only)."""
        self.disarm()
        self.armed = True
        self._pending = None
        for k, (_, _, module) in enumerate(self.relu_layers):
            self._dead[k] = []
            self._handles.append(module.register_forward_pre_hook(self._hook(self._dead[k])))

    @staticmethod
    def _hook(parts: list[torch.Tensor]):
        def hook(_module, inputs):
            x = inputs[0] if inputs else None
            if isinstance(x, torch.Tensor) and x.dim() >= 1 and x.shape[0] > 0:
                with torch.no_grad():
                    parts.append(_batch_max(x))   # lanes and chunks each append the max over their samples
        return hook

    def disarm(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self.armed = False

    @torch.no_grad()
    def before_update(self) -> None:
        """After backward (and clipping), before the optimizer step: the gradients' numbers, the weights."""
        if not self.params:
            self._before = []
            return
        gs = [p.grad if p.grad is not None else p.new_zeros(()) for p in self.params]
        self._grads = [_norms(gs), _abs_maxes(gs)]
        self._before = [p.clone() for p in self.params]

    @torch.no_grad()
    def after_update(self) -> None:
        """After the optimizer step: the update ratios and dead shares, stacked into one pending tensor."""
        self.disarm()
        if self._before is None:
            return
        values = []
        if self.params:
            dev = self.params[0].device
            if self._seg is None or self._seg.device != dev:
                self._seg = torch.tensor([k for k, (_, _, ps) in enumerate(self.param_layers) for _ in ps],
                                         dtype=torch.long, device=dev)
            seg, n = self._seg, len(self.param_layers)
            gnorm, gmax = self._grads
            deltas = _sub(self.params, self._before)
            per_layer = torch.cat([gnorm, _norms([*deltas, *self._before])]).float().square().view(3, -1)
            sums = torch.zeros(3, n, dtype=per_layer.dtype, device=dev).index_add_(1, seg, per_layer).sqrt()
            top = torch.zeros(n, dtype=gmax.dtype, device=dev).scatter_reduce_(0, seg, gmax, "amax")
            values += [sums[0], top.float(), sums[1] / sums[2].clamp_min(1e-30)]
        else:
            dev = torch.device("cpu")
        if self._dead:
            counts, sizes = [], []
            for parts in self._dead:
                top = (parts[0] if len(parts) == 1 else torch.stack(parts).amax(dim=0)) if parts else None
                counts.append((top <= 0).sum().to(dev) if top is not None else torch.zeros((), device=dev))
                sizes.append(float(top.numel()) if top is not None and top.numel() else float("nan"))
            values.append(torch.stack(counts).float() / torch.tensor(sizes, device=dev))
        self._before, self._grads = None, []
        self._pending = torch.cat(values) if values else torch.zeros(0, device=dev)

    # -- the step event -------------------------------------------------------------------------
    def read(self, loss: torch.Tensor) -> tuple[float, list[dict[str, Any]]]:
        """``loss`` (a 0-d tensor) and the pending numbers as Python values, in one read-back; the per-layer
        records are ``[]`` when no armed step completed since the last read."""
        pending, self._pending = self._pending, None
        if pending is None or pending.numel() == 0:
            return float(loss), []
        vals = torch.cat([loss.detach().reshape(1).float().to(pending.device), pending.float()]).tolist()
        return vals[0], self._records(vals[1:])

    def _records(self, vals: list[float]) -> list[dict[str, Any]]:
        out = []
        n = len(self.param_layers)
        for k, (index, name, _) in enumerate(self.param_layers):
            g, m, r = vals[k], vals[n + k], vals[2 * n + k]
            out.append({"layer": index, "name": name, "grad_norm": g, "grad_max": m, "update_ratio": r})
        base = 3 * len(self.param_layers)
        for k, (index, name, _) in enumerate(self.relu_layers):
            out.append({"layer": index, "name": name, "dead_share": vals[base + k]})
        out.sort(key=lambda d: d["layer"])
        return out


def _batch_max(x: torch.Tensor) -> torch.Tensor:
    """The largest value of each unit over the batch (dim 0), read in memory order (channels-last too)."""
    n = x.shape[0]
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        x = x.permute(0, 2, 3, 1)
    return x.reshape(n, -1).amax(dim=0)


def _norms(ts: list[torch.Tensor]) -> torch.Tensor:
    """The L2 norm of each tensor, stacked (torch's multi-tensor kernel where it has one)."""
    foreach = getattr(torch, "_foreach_norm", None)
    if foreach is not None:
        return torch.stack(foreach(ts))
    return torch.stack([torch.linalg.vector_norm(t) for t in ts])


def _abs_maxes(ts: list[torch.Tensor]) -> torch.Tensor:
    """The largest |value| of each tensor, stacked."""
    foreach_max, foreach_abs = getattr(torch, "_foreach_max", None), getattr(torch, "_foreach_abs", None)
    if foreach_max is not None and foreach_abs is not None and all(t.numel() for t in ts):
        return torch.stack(foreach_max(foreach_abs(ts)))
    return torch.stack([t.abs().amax() if t.numel() else t.new_zeros(()) for t in ts])


def _sub(a: list[torch.Tensor], b: list[torch.Tensor]) -> list[torch.Tensor]:
    foreach = getattr(torch, "_foreach_sub", None)
    return foreach(a, b) if foreach is not None else [x - y for x, y in zip(a, b)]


def _pre_activation_module(seq: list[nn.Module], i: int) -> nn.Module | None:
    """The module whose input is the ReLU's pre-activation: the ReLU itself, or the MaxPool2d the trainer moved
    in front of it."""
    if type(seq[i]) is nn.ReLU:
        return seq[i]
    if isinstance(seq[i], nn.MaxPool2d) and i + 1 < len(seq) and type(seq[i + 1]) is nn.ReLU:
        return seq[i]
    return None


def optimizer_step(optimizer: torch.optim.Optimizer, recorder: GradRecorder | None) -> None:
    """``optimizer.step()``, with the recorder's before/after on an armed step."""
    if recorder is None or not recorder.armed:
        optimizer.step()
        return
    recorder.before_update()
    optimizer.step()
    recorder.after_update()


def read_logged(loss: torch.Tensor, recorder: GradRecorder | None) -> tuple[float, list[dict[str, Any]]]:
    """The logged loss as a float and the per-layer records (``[]`` without a recorder)."""
    if recorder is None:
        return float(loss), []
    return recorder.read(loss)

