"""The modals in Chinese (issue 20): their titles, hints and buttons are translated, no English words left."""

from __future__ import annotations

import asyncio

from textual.app import App

from tests.ui.i18n_helpers import english_words, screen_text
from tui_dl.app.screens.confirm_modal import ConfirmModal
from tui_dl.app.screens.save_modal import SaveModal


class _Host(App):
    def __init__(self, modal) -> None:
        super().__init__()
        self.modal = modal

    def on_mount(self) -> None:
        self.push_screen(self.modal)


def _run(modal, expected: list[str], allowed: set[str]) -> None:
    async def go() -> None:
        app = _Host(modal)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            text = screen_text(app)
            for word in expected:
                assert word in text, (word, text)
            assert english_words(app, allowed) == []
    asyncio.run(go())


def test_save_modal_in_chinese(chinese):
    _run(SaveModal("my_net.yaml"), ["把实验保存为 YAML 文件", "enter 保存 · esc 取消"],
         {"Host", "net", "my_net.yaml", "tui-dl", "FILE", "batch", "yaml"})  # the host app's title, the path


def test_confirm_modal_in_chinese(chinese):
    _run(ConfirmModal("?"), ["是（y）", "否（n）"], {"Host"})
