"""The per-layer gradient statistics of one run over its logged steps (plain Python, no Textual): what the
Train view's gradients panel draws. Fed from ``StepDone.layers`` (see ``core/training/grad_stats.py``), live
or replayed from a run folder's metrics.jsonl (where NaN is stored as the string "nan")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: The panel's modes: the record's key and the panel's (short: it shares a row with the loss) title.
METRICS = {
    "grad_norm": "‖g‖ per layer, log₁₀",
    "grad_max": "max |g| per layer, log₁₀",
    "update_ratio": "‖Δw‖/‖w‖, log₁₀ (┄ −3)",
    "dead_share": "Dead ReLUs, % of units",
}
#: Points kept per run; past this every other older point is dropped (the panel draws a few hundred anyway).
MAX_POINTS = 2000


def _number(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


@dataclass
class LayerHistory:
    xs: list[float] = field(default_factory=list)
    #: layer name ("L1 Conv2d") → metric → values (one per x; NaN where a step lacked it)
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, x: float, layers: list[dict]) -> None:
        if not layers:
            return
        n = len(self.xs)
        self.xs.append(x)
        for d in layers:
            name = str(d.get("name", d.get("layer", "?")))
            per = self.values.setdefault(name, {})
            for metric in METRICS:
                if metric in d:
                    ys = per.setdefault(metric, [])
                    ys.extend([float("nan")] * (n - len(ys)))
                    ys.append(_number(d[metric]))
        if len(self.xs) > MAX_POINTS:
            self._thin()

    def _thin(self) -> None:
        keep = set(range(0, len(self.xs) - 1, 2)) | {len(self.xs) - 1}
        self.xs = [x for i, x in enumerate(self.xs) if i in keep]
        for per in self.values.values():
            for metric, ys in per.items():
                per[metric] = [y for i, y in enumerate(ys) if i in keep]

    def __bool__(self) -> bool:
        return bool(self.xs)

    def layers_with(self, metric: str) -> list[str]:
        return [name for name, per in self.values.items() if metric in per]

    def series(self, metric: str) -> list[tuple[str, list[float], list[float]]]:
        """(layer name, xs, ys) per layer that has ``metric``, drawn as the panel draws it: log₁₀ of the gradient
        numbers and ratios (points ≤ 0 or not finite left out), dead shares in percent."""
        out = []
        for name in self.layers_with(metric):
            ys = self.values[name][metric]
            pts = []
            for x, y in zip(self.xs, ys):
                if not math.isfinite(y):
                    continue
                if metric == "dead_share":
                    pts.append((x, 100 * y))
                elif y > 0:
                    pts.append((x, math.log10(y)))
            out.append((name, [p[0] for p in pts], [p[1] for p in pts]))
        return out
