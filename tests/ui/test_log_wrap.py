"""The Train view's log wraps long lines under their own text (wrap_log_line): English at spaces as textwrap does,
Chinese between characters without splitting a number or a word, and never with "，" or "。" first on a line."""

from __future__ import annotations

import pytest

from tui_dl.app.logfmt import wrap_log_line
from tui_dl.core.i18n import text_width


def test_english_wraps_at_spaces_under_its_text():
    lines = wrap_log_line("⚑ flat loss: the loss has not moved for 3 epochs; try a larger learning rate", 30)
    # textwrap's own result (a mark such as ⚑ takes one cell): English is wrapped as it always was
    assert lines == ["⚑ flat loss: the loss has not", "  moved for 3 epochs; try a", "  larger learning rate"]
    assert wrap_log_line("■ epoch 3/4  loss 0.1244  val 0.5869  acc 96.0%", 30)[0] == "■ epoch 3/4  loss 0.1244  val"
    assert wrap_log_line("short", 30) == ["short"]


@pytest.mark.parametrize("line, width, whole", [
    ("■ 已完成：2 轮，594 步，用时 0:12，7,169 img/s", 40, "7,169"),  # was "7,16" / "9 img/s"
    ("  最佳一轮（第 2 轮）：验证损失 0.0663，验证准确率 98.20%", 40, "0.0663"),
    ("  ✓ 检查点（best）runs/lenet-5-20261205-073428/best.pt", 40, "runs/lenet-5-20261205-073428/best.pt"),
    ("  测试准确率 97.67%，测试损失 0.0629，最高验证准确率 98.20%（第 2 轮，也是验证损失最低的一轮）", 30, "97.67%"),
])
def test_chinese_wraps_by_cells_keeping_numbers_and_paths_whole(line, width, whole):
    lines = wrap_log_line(line, width)
    assert len(lines) > 1 and all(text_width(piece) <= width for piece in lines), lines
    assert any(whole in piece for piece in lines), lines
    assert not any(piece.lstrip().startswith(("，", "。", "）", "：")) for piece in lines), lines
    assert all(piece.startswith("  ") for piece in lines[1:]), lines  # continued under the text
    assert "".join(p.strip() for p in lines).replace(" ", "") == line.strip().replace(" ", "")


def test_a_path_wider_than_the_pane_is_still_cut_by_cells():
    lines = wrap_log_line("  ✓ 检查点 " + "a" * 60, 24)
    assert all(text_width(piece) <= 24 for piece in lines) and "".join(p.strip() for p in lines).endswith("a" * 60)
