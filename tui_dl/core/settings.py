"""The app's own settings, kept between sessions in ``$XDG_CONFIG_HOME/tui-dl/settings.json``.

Today one: the language picked in the app (F8 or the command palette). ``tui-dl`` (the app) speaks it unless
``--lang`` says otherwise; ``--batch`` and the other commands follow ``--lang`` and the environment only, so a
script's output does not change with what was clicked in the app. A settings file that cannot be read is
ignored (the app starts in the environment's language) and rewritten at the next change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui_dl.core.paths import config_dir


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> dict:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_setting(key: str, value) -> Path | None:
    """Set ``key`` and write the file (atomically); returns its path, or None where it cannot be written (a
    read-only home: the choice then lasts for this session only)."""
    data = load_settings()
    data[key] = value
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def saved_language() -> str | None:
    """The language picked in the app last time (``"en"`` or ``"zh_CN"``), or None."""
    value = load_settings().get("language")
    return value if isinstance(value, str) and value else None
