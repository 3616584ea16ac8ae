"""One list of keys (tui_dl/app/keys.py) makes the bindings, the command palette, the help screen and the README's
key table: the README's copy is current, and every key and command names an action that exists."""

from __future__ import annotations

import re

from textual.app import App

from tui_dl.app import keys as K
from tui_dl.app.app import COMMANDS, TuiDL
from tui_dl.app.screens.help_screen import HELP
from tui_dl.app.views.build_view import BuildView
from tui_dl.app.views.learn_view import LearnView
from tui_dl.app.views.runs_view import RunsView
from tui_dl.app.screens.attack_screen import AttackScreen
from tui_dl.app.screens.features_screen import FeaturesScreen
from tui_dl.app.screens.gallery_screen import GalleryScreen
from tui_dl.app.views.train_view import ResultBox, TrainView

OWNER = {"everywhere": TuiDL, "while training": TuiDL, "Build": BuildView, "Train": TrainView, "Runs": RunsView,
         "Learn": LearnView, "Test result": ResultBox, "Gallery": GalleryScreen, "Features": FeaturesScreen,
         "Attack": AttackScreen}


def readme_block(name: str) -> str:
    text = open("README.md", encoding="utf-8").read()
    m = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert m, f"README lacks the {name} block"
    return m.group(1)


def test_the_readme_key_table_is_current():
    assert readme_block("keys") == K.readme_keys_markdown(), "regenerate with: python -m tui_dl.cli.report"


def _action_name(action: str) -> str:
    return action.split("(")[0].removeprefix("app.")


def test_every_key_runs_an_action_of_the_class_that_binds_it():
    for k in K.KEYS:
        assert k.where in OWNER, k
        if not k.action:
            continue  # Textual's own (tab, ctrl+p): documented, not bound here
        owner = TuiDL if k.action.startswith("app.") else OWNER[k.where]
        assert callable(getattr(owner, f"action_{_action_name(k.action)}", None)), (k.id, owner.__name__)


def test_the_classes_bind_exactly_the_listed_keys():
    for where, cls in OWNER.items():
        if cls is TuiDL:
            continue
        assert [(b.key, b.action, b.description) for b in cls.BINDINGS] == \
            [(k.keys, k.action, k.label) for k in K.KEYS if k.where == where and k.action]
    assert [b.id for b in TuiDL.BINDINGS] == [k.id for k in K.KEYS if k.where in K.APP_SCOPES and k.action]
    assert next(k for k in K.KEYS if k.help == "command palette").keys == App.COMMAND_PALETTE_BINDING


def test_ids_are_unique_and_shared_rows_name_a_key():
    ids = [k.id for k in K.KEYS if k.id]
    assert len(ids) == len(set(ids))
    for k in K.KEYS:
        if k.joins:
            head = next(h for h in K.KEYS if h.id == k.joins)
            assert head.where == k.where and not k.help and head.help
        else:
            assert k.help, k  # every row says what it does


def test_every_palette_command_is_an_app_action_and_names_its_key():
    assert COMMANDS == K.commands() and len(COMMANDS) == sum(k.command is not None for k in K.KEYS)
    for k in K.KEYS:
        if k.command is None:
            continue
        assert callable(getattr(TuiDL, f"action_{_action_name(k.command.action)}", None)), k.command
        title, help_text, _ = next(c for c in COMMANDS if c[0] == k.command.title)
        assert f"({K.key_name(k.keys.split(',')[0])}" in help_text


def test_the_help_screen_and_the_readme_show_every_row():
    for row in K.rows():
        assert f"| {row.keys} |" in HELP and f"| {row.keys} | {row.where} | {row.doc} |" in K.readme_keys_markdown()
        assert row.help in HELP


def test_key_names_are_written_as_people_write_them():
    assert [K.key_name(k) for k in ("ctrl+r", "question_mark", "f1", "shift+up", "shift+down", "escape", "space")] \
        == ["ctrl+r", "?", "F1", "shift+↑", "shift+↓", "esc", "space"]
    rows = {r.help: r.keys for r in K.rows()}
    assert rows["undo / redo any edit (layers and settings)"] == "`ctrl+z` / `ctrl+y`"
    assert rows["delete the selected layer"] == "`d` / `delete`"
    assert rows["move the layer up / down"] == "`shift+↑` / `shift+↓`"
    assert rows["this help"] == "`?` / `F1`"
