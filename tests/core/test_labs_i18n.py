"""The labs speak Chinese under the ``chinese`` fixture and stay English by default."""

import pytest

from tui_dl.core.labs.backprop import backprop
from tui_dl.core.labs.values import LabError, parse_number


def test_lab_error_in_chinese(chinese):
    with pytest.raises(LabError) as e:
        parse_number("abc", "input")
    assert e.value.message == "'abc' 不是数字"


def test_lab_error_english_by_default():
    with pytest.raises(LabError) as e:
        parse_number("abc", "input")
    assert e.value.message == "'abc' is not a number"


def test_backprop_stages_in_chinese(chinese):
    lines = backprop().lines()
    assert "④ 前向传播" in lines and "② 参数更新" in lines
    assert "④ forward pass" not in lines


def test_backprop_stages_english_by_default():
    assert "④ forward pass" in backprop().lines()
