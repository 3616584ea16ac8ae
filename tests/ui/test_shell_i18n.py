"""The app speaks Chinese live (issue 20): F8 / the palette / TuiDL.set_language switch the tabs, the footer, the
status bar and the help screen at once, keep the choice in settings.json, and switch back to English."""

from __future__ import annotations

import json

import pytest

from textual.widgets import Markdown, TabbedContent

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.i18n_helpers import screen_text
from tui_dl.app import keys as K
from tui_dl.app.i18n_ui import TFooter
from tui_dl.core import i18n


def _tab_labels(app) -> list[str]:
    tabs = app.query_one("#views", TabbedContent)
    return [tabs.get_tab(v).label.plain for v in ("build", "setup", "train", "runs", "learn")]


def _footer_labels(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [k.description for k in app.query_one(TFooter).query(FooterKey)]



async def _views_ready(pilot) -> None:
    """Until the views mounted after the first frame are there."""
    app = pilot.app
    await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view)


async def _open(pilot, key: str, screen: str) -> None:
    """Press ``key`` and wait until the screen named ``screen`` is on top."""
    await pilot.press(key)
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == screen)

def test_switching_live_relabels_tabs_footer_status_bar_and_is_saved(runs_dir, chinese, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    i18n.set_language("en")  # the app starts in English; the fixture has compiled the catalog

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await _views_ready(pilot)
            assert _tab_labels(app) == ["Build F2", "Setup F3", "Train F4", "Runs F5", "Learn F6"]
            assert "Add layer" in _footer_labels(app)
            await pilot.press("f8")
            await pilot.pause()
            assert i18n.language() == "zh_CN"
            assert _tab_labels(app) == ["构建 F2", "设置 F3", "训练 F4", "运行记录 F5", "学习 F6"]
            await wait_until(pilot, lambda: "添加层" in _footer_labels(app))
            assert "Add layer" not in _footer_labels(app) and "palette" not in screen_text(app)
            bar = str(app.status_bar.render())
            assert "空闲" in bar and "idle" not in bar
            assert any(n.message == "语言：中文" for n in app._notifications)  # the toast, in the new language
            saved = json.loads((tmp_path / "config" / "tui-dl" / "settings.json").read_text(encoding="utf-8"))
            assert saved["language"] == "zh_CN"
            # back to English, through the palette's command action
            await app.run_action("set_language('en')")
            await pilot.pause()
            assert i18n.language() == "en"
            assert _tab_labels(app) == ["Build F2", "Setup F3", "Train F4", "Runs F5", "Learn F6"]
            await wait_until(pilot, lambda: "Add layer" in _footer_labels(app))
            assert "idle" in str(app.status_bar.render())
            saved = json.loads((tmp_path / "config" / "tui-dl" / "settings.json").read_text(encoding="utf-8"))
            assert saved["language"] == "en"
    run(body())


def test_the_help_screen_and_palette_commands_in_chinese(runs_dir, chinese):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await _views_ready(pilot)
            await _open(pilot, "f1", "HelpScreen")
            await pilot.pause(0.3)
            source = app.screen.query_one("#help-text", Markdown).source
            assert "全局按键" in source and "本帮助" in source and "| 按键 | 作用 |" in source
            assert "Keys everywhere" not in source and "this help" not in source
            assert "esc 关闭" in screen_text(app) and "构建视图" in screen_text(app)
            # a switch while the help is open relabels it
            app.set_language("en", save=False)
            await pilot.pause(0.3)
            source = app.screen.query_one("#help-text", Markdown).source
            assert "Keys everywhere" in source and "全局按键" not in source
            assert "esc close" in screen_text(app)
    run(body())
    i18n.set_language("zh_CN")
    titles = {t: h for t, h, _a in K.commands(translate=True)}
    assert titles["语言：English"] == "界面使用英文（下次启动时保留） (F8)"
    assert titles["构建：添加层"] == "在选中的层之后添加一层（构建视图中按 a）"
    # the table's own texts stay English (what the README and the tests compare)
    assert [t for t, _h, _a in K.commands()] == [k.command.title for k in K.KEYS if k.command]
    assert "构建" not in K.help_table("Build")


def test_english_stays_the_default(runs_dir):
    assert K.help_table("Build").startswith("| key | action |")
    assert ("Language: 中文", "Speak Chinese (kept for the next start) (F8)", "set_language('zh_CN')") in K.commands()


def _footer_rows(app) -> tuple[list, object]:
    from textual.widgets._footer import FooterKey

    keys = list(app.query_one(TFooter).query(FooterKey))
    palette = next(k for k in keys if k.has_class("-command-palette"))
    return [k for k in keys if k is not palette], palette


def test_the_footer_shows_only_keys_that_fit_in_chinese_at_80_columns(runs_dir, chinese):
    """At 80×24 the Chinese labels (two cells a character) ran past the edge, under the ctrl+p label, and the
    characters cut there blanked it ("^p 命令  板"): the footer keeps only the keys that fit, compact."""
    i18n.set_language("zh_CN")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await _views_ready(pilot)
            for view in ("1", "3", "4", "5"):
                await pilot.press(view)
                await pilot.pause(0.2)
                keys, palette = _footer_rows(app)
                assert app.query_one(TFooter).compact and keys, view
                assert all(k.region.right <= palette.region.x for k in keys), (view, [k.region for k in keys])
                assert "^p 命令面板" in palette.render().plain and palette.region.right <= 80, view
            await pilot.press("1")
            await pilot.pause(0.2)
            narrow = [k.description for k in _footer_rows(app)[0]]
            await pilot.resize_terminal(140, 30)
            await wait_until(pilot, lambda: len(_footer_rows(app)[0]) > len(narrow))
            assert not app.query_one(TFooter).compact and "帮助" in [k.description for k in _footer_rows(app)[0]]
            assert "帮助" not in narrow  # the last key was the one left out
    run(body())


def test_an_english_footer_that_fits_is_left_whole(runs_dir):
    i18n.set_language("en")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(160, 30)) as pilot:
            await _views_ready(pilot)
            keys, _palette = _footer_rows(app)
            shown = {k.key for k in keys}
            assert not app.query_one(TFooter).compact
            assert {"a", "d", "ctrl+q", "ctrl+r", "ctrl+s", "ctrl+o", "ctrl+z"} <= shown, shown
    run(body())


def test_the_command_palette_prompt_is_translated(runs_dir, chinese):
    from textual.command import CommandInput

    i18n.set_language("zh_CN")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await _views_ready(pilot)
            await _open(pilot, "ctrl+p", "CommandPalette")
            assert app.screen.query_one(CommandInput).placeholder == "搜索命令…"
            await pilot.press("escape")
            app.set_language("en", save=False)
            await pilot.pause()
            await _open(pilot, "ctrl+p", "CommandPalette")
            assert app.screen.query_one(CommandInput).placeholder == "Search for commands…"
    run(body())


def test_the_help_views_table_keeps_its_columns_at_80_columns_in_chinese(runs_dir, chinese):
    """Textual sized the views table's columns by their longest unbreakable run: the Chinese descriptions have
    no spaces, so the view and key columns shrank to "…" at 80×24. The last column now takes what is left."""
    from textual.widgets._markdown import MarkdownTableContent

    i18n.set_language("zh_CN")

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await _views_ready(pilot)
            await _open(pilot, "f1", "HelpScreen")
            await pilot.pause(0.5)
            table = next(t for t in app.screen.query(MarkdownTableContent) if len(t.headers) == 3)
            view, key, what = list(table.children)[3:6]  # the first row: 构建 · F2 / 1 · what it is for
            assert view.region.width >= 6 and key.region.width >= 8, (view.region, key.region)
            assert what.region.width >= 30 and what.region.height >= 2, what.region
    run(body())


@pytest.mark.parametrize("lang, size", [("en", (80, 24)), ("en", (120, 24)), ("zh_CN", (80, 24)), ("zh_CN", (120, 24))])
def test_the_footer_width_estimate_is_what_textual_lays_out(runs_dir, chinese, lang, size):
    """key_cells() is the arithmetic the footer uses to leave out what does not fit: it must be the width Textual
    gives each key (margin included), and the keys left out are exactly those that would not have fitted."""
    i18n.set_language(lang)

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=size) as pilot:
            await _views_ready(pilot)
            await pilot.pause(0.2)
            footer = app.query_one(TFooter)
            keys, palette = _footer_rows(app)
            for k in keys:
                assert TFooter.key_cells(k, footer.compact) == k.outer_size.width + k.styles.margin.right, k.key
            used = sum(k.outer_size.width + k.styles.margin.right for k in keys)
            gap = palette.region.x - used
            shown = {k.key for k in keys}
            left_out = [k for k in K.KEYS if k.show and k.where in ("everywhere", "Build")
                        and k.keys.split(",")[0] not in shown and k.label]
            assert gap >= 0
            if left_out:  # the next key would not have fitted
                assert gap < 2 + len(left_out[0].label), (gap, left_out[0].keys)
    run(body())
