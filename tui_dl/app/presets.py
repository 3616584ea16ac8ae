"""Finding presets and past run folders for the open dialog (plain Python)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from tui_dl.core.config.experiment import Experiment, parse_experiment

_BUILTIN_LENET = """\
name: LeNet-5
description: The classic LeNet-5 on MNIST (built in; presets/ was not found).
input: [1, 28, 28]
layers:
  - {type: Conv2d, out_channels: 6, kernel_size: 5, padding: 2}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 2}
  - {type: Conv2d, out_channels: 16, kernel_size: 5}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 2}
  - {type: Flatten}
  - {type: Linear, out_features: 120}
  - {type: ReLU}
  - {type: Linear, out_features: 84}
  - {type: ReLU}
  - {type: Linear, out_features: 10}
data: {name: mnist, fallback: synthetic-digits}
train: {epochs: 2, batch_size: 64, loss: cross_entropy, optimizer: {name: adam, lr: 0.001}, seed: 0}
"""

DEFAULT_PRESET = "lenet5.yaml"


@dataclass(frozen=True)
class PresetInfo:
    path: Path
    name: str
    description: str


def preset_dirs() -> list[Path]:
    """``./presets`` and the repository's ``presets/`` (when running from a checkout)."""
    out: list[Path] = []
    for d in (Path.cwd() / "presets", Path(__file__).resolve().parents[2] / "presets"):
        if d.is_dir() and all(d.resolve() != o.resolve() for o in out):
            out.append(d)
    return out


def _display(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def list_presets() -> list[PresetInfo]:
    items: list[PresetInfo] = []
    for d in preset_dirs():
        for p in sorted(d.glob("*.y*ml")):
            name, desc = p.stem, ""
            try:
                data = yaml.safe_load(p.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    name = str(data.get("name") or p.stem)
                    desc = str(data.get("description") or "")
            except (OSError, yaml.YAMLError, UnicodeDecodeError):
                desc = "(cannot be read)"
            items.append(PresetInfo(_display(p), name, desc))
    return items


def default_experiment() -> tuple[Experiment, Path | None]:
    """The LeNet preset (or a built-in copy of it when presets/ is not around)."""
    from tui_dl.core.config.experiment import ConfigError, load_experiment

    for d in preset_dirs():
        p = d / DEFAULT_PRESET
        if p.is_file():
            try:
                return load_experiment(p), _display(p)
            except ConfigError:
                break
    return parse_experiment(_BUILTIN_LENET, "<built-in LeNet-5>"), None


@dataclass(frozen=True)
class RunFolderInfo:
    path: Path
    label: str


def list_run_folders(runs_dir: str | Path, limit: int = 50) -> list[RunFolderInfo]:
    """Run folders (holding ``metrics.jsonl``), newest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    found = []
    for d in root.iterdir():
        m = d / "metrics.jsonl"
        if d.is_dir() and m.is_file():
            found.append((m.stat().st_mtime, d))
    found.sort(reverse=True)
    out = []
    for _t, d in found[:limit]:
        label = d.name
        s = d / "summary.json"
        if s.is_file():
            try:
                info = json.loads(s.read_text(encoding="utf-8"))
                status = info.get("status", "")
                acc = info.get("test_accuracy")
                label += f"  {status}" + (f", test acc {100 * acc:.2f}%" if isinstance(acc, (int, float)) else "")
            except (ValueError, OSError):
                pass
        out.append(RunFolderInfo(_display(d), label))
    return out
