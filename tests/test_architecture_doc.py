"""docs/architecture.md keeps up with the tree: every module and package of tui_dl is named in it."""

from __future__ import annotations

import pathlib
import re

DOC = pathlib.Path("docs/architecture.md")
ROOT = pathlib.Path("tui_dl")


def test_every_module_is_on_the_map():
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"[\w/]+\.py|[\w/]+/", text))
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        if path.name not in text:
            missing.append(str(path))
    for pkg in sorted(p.parent for p in ROOT.rglob("__init__.py")):
        if pkg == ROOT:
            continue
        if f"{pkg.as_posix()}/" not in text and f"{pkg.name}/" not in named:
            missing.append(f"{pkg}/")
    assert missing == [], f"add these to {DOC}'s module map: {missing}"


def test_the_files_the_guide_points_at_exist():
    text = DOC.read_text(encoding="utf-8")
    for ref in re.findall(r"`((?:tests|tui_dl|benchmarks|presets|docs)/[\w/.]+\.(?:py|yaml|md))`", text):
        assert pathlib.Path(ref).exists(), ref
    for ref in re.findall(r"`(core/[\w/]+\.py)`", text):
        assert (ROOT / ref).exists(), ref
