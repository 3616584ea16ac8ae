"""Every user-facing string in tui_dl/ is marked for translation (issue 20).

tests/i18n_scan.py says what counts as user-facing (literals passed to widgets, notify, print, exceptions,
argparse help, the key table …) and holds the small allow-list of English that stays English."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import i18n_scan


FILES = sorted(p for p in i18n_scan.PACKAGE.rglob("*.py") if p.name != "i18n.py")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(i18n_scan.PACKAGE).as_posix())
def test_user_facing_strings_are_marked(path: Path):
    found = i18n_scan.scan_file(path)
    rel = path.relative_to(i18n_scan.PACKAGE).as_posix()
    assert not found, f"{rel}: not marked for translation (wrap in _() or N_()):\n" + "\n".join(map(str, found))


def test_the_scan_finds_unmarked_text():
    sample = i18n_scan.PACKAGE / "app" / "_scan_sample.py"
    code = ('from textual.widgets import Static\nfrom tui_dl.core.i18n import _\n'
            'def f(app, n):\n'
            '    app.notify("Saved the file")\n'                       # 4: found
            '    app.notify(_("Saved the file"))\n'                    # marked
            '    Static(f"{n} layers")\n'                              # 6: found
            '    Static(_("{n} layers").format(n=n))\n'                # marked
            '    raise ValueError("bad value " + str(n))\n'            # 8: found
            '    print("#log", "train.lr", "Conv2d")\n'                # code names
            '    x.border_title = "Layers"\n')                         # 10: found
    sample.write_text(code, encoding="utf-8")
    try:
        lines = sorted(f.line for f in i18n_scan.scan_file(sample))
    finally:
        sample.unlink()
    assert lines == [4, 6, 8, 10]


def test_the_key_table_is_scanned_for_its_help_words_only():
    """keys.Key(keys, action, where, help, doc): only help is text the app shows (where is a scope name marked
    once, doc the README's English); Command(title, help, action): its action is a name."""
    sample = i18n_scan.PACKAGE / "app" / "_scan_sample.py"
    code = ('K = (Key("ctrl+s", "save", "everywhere", "save the experiment", "the README words"),\n'   # 1: help
            '     Key("x", "act", "everywhere", N_("marked"), doc="more README words",\n'
            '         command=Command("File: save", N_("Save it"), "save_file")))\n')                # 3: title
    sample.write_text(code, encoding="utf-8")
    try:
        found = sorted((f.line, f.text) for f in i18n_scan.scan_file(sample))
    finally:
        sample.unlink()
    assert found == [(1, "save the experiment"), (3, "File: save")]
