"""The presets tui-dl ships: where they are, finding one by name, listing them with their descriptions.

The repository's top-level ``presets/`` folder is the source. A wheel carries a copy inside the package
(``tui_dl/presets/``, put there by the build: see ``setup.py``); a checkout or an editable install reads the
folder itself. Plain Python (PyYAML only to read each file's name and description), no torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # .../tui_dl

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Preset:
    """One shipped preset: ``key`` is what you type (``tui-dl lenet5``), ``title`` its ``name:``."""

    key: str
    path: Path
    title: str
    description: str


def shipped_dir() -> Path | None:
    """The folder of shipped presets: ``tui_dl/presets/`` in an installed wheel, else the checkout's
    ``presets/`` (beside ``pyproject.toml``); None when neither exists."""
    inside = _PACKAGE / "presets"
    if inside.is_dir():
        return inside
    checkout = _PACKAGE.parent / "presets"
    if checkout.is_dir() and (_PACKAGE.parent / "pyproject.toml").is_file():
        return checkout
    return None


def _read_header(path: Path) -> tuple[str, str]:
    """(name, description) from a preset file; ``(stem, "(cannot be read)")`` when it is not readable YAML."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return path.stem, "(cannot be read)"
    if not isinstance(data, dict):
        return path.stem, ""
    return str(data.get("name") or path.stem), str(data.get("description") or "")


def list_presets(folder: Path | None = None) -> list[Preset]:
    """Every preset in ``folder`` (default: :func:`shipped_dir`), sorted by key."""
    folder = shipped_dir() if folder is None else folder
    if folder is None or not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in SUFFIXES and p.is_file():
            title, desc = _read_header(p)
            out.append(Preset(p.stem, p, title, desc))
    return out


def find_preset(name: str) -> Path | None:
    """The shipped preset called ``name`` (``lenet5``, ``lenet5.yaml`` or ``presets/lenet5.yaml``), or None."""
    folder = shipped_dir()
    if folder is None or not name:
        return None
    text = name.replace("\\", "/")
    head, _, base = text.rpartition("/")
    if head not in ("", "presets", "./presets"):
        return None
    stem, ext = os.path.splitext(base)
    candidates = [base] if ext.lower() in SUFFIXES else [base + s for s in SUFFIXES]
    for c in candidates:
        p = folder / c
        if p.is_file():
            return p
    return None


def resolve_experiment(arg: str) -> str:
    """What ``tui-dl FILE`` opens: ``arg`` itself when such a file or folder exists, else the shipped preset of
    that name (so ``tui-dl --batch lenet5`` and the README's ``presets/lenet5.yaml`` work from any directory),
    else ``arg`` unchanged (its loader then says the file does not exist)."""
    if not arg or os.path.exists(os.path.expanduser(arg)):
        return arg
    found = find_preset(arg)
    return str(found) if found is not None else arg


def preset_keys() -> list[str]:
    """The names ``tui-dl NAME`` accepts (for messages and shell completion)."""
    return [p.key for p in list_presets()]
