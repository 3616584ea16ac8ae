"""Finding presets and past run folders for the open dialog (plain Python)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from tui_dl.core.config.experiment import Experiment
from tui_dl.core.presets import shipped_dir
from tui_dl.core.i18n import _

DEFAULT_PRESET = "lenet5.yaml"


@dataclass(frozen=True)
class PresetInfo:
    path: Path
    name: str
    description: str


def preset_dirs() -> list[Path]:
    """``./presets`` and the presets installed with tui-dl (:func:`tui_dl.core.presets.shipped_dir`)."""
    out: list[Path] = []
    for d in (Path.cwd() / "presets", shipped_dir()):
        if d is not None and d.is_dir() and all(d.resolve() != o.resolve() for o in out):
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
    """The LeNet preset: ``./presets/lenet5.yaml`` when there is one, else the one installed with tui-dl."""
    from tui_dl.core.config.experiment import ConfigError, load_experiment

    for d in preset_dirs():
        p = d / DEFAULT_PRESET
        if p.is_file():
            try:
                return load_experiment(p), _display(p)
            except ConfigError:
                continue
    folders = " or ".join(map(str, preset_dirs()))
    raise FileNotFoundError((_("tui-dl's presets are missing ({file} was not found in {folders}): reinstall tui-dl.")
                             if folders else
                             _("tui-dl's presets are missing ({file} was not found in any presets folder): "
                               "reinstall tui-dl.")).format(file=DEFAULT_PRESET, folders=folders))


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
