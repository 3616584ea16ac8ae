"""The --batch confusion matrix lines up in both languages (its accuracy column once ran into the last class
column in Chinese: "9准确率")."""

from __future__ import annotations

import pytest

from tui_dl.cli.batch import confusion_text
from tui_dl.core.i18n import text_width

CONFUSION = [[50, 2, 0], [3, 41, 6], [0, 9, 1000]]


def _check(text: str, word: str) -> None:
    lines = text.splitlines()
    head, rows = lines[1], lines[2:]
    assert len(rows) == 3
    assert head.rstrip().endswith(" " + word), head  # a space before the header's last word
    widths = {text_width(line) for line in [head] + rows}
    assert len(widths) == 1, lines  # the accuracy column ends where its header ends
    assert rows[2].endswith(" 99.11%"), rows[2]


def test_english_columns_line_up():
    _check(confusion_text(CONFUSION, ["0", "1", "2"]), "acc")


@pytest.mark.usefixtures("chinese")
def test_chinese_columns_line_up_with_named_classes():
    text = confusion_text(CONFUSION, ["T恤", "裤子", "套头衫"])
    _check(text, "准确率")
    assert text.splitlines()[0].startswith("混淆矩阵")
