"""tui_dl.core.i18n: which language the environment and --lang choose, the live switch, and CJK widths."""

from __future__ import annotations

import pytest

from tui_dl.core import i18n


@pytest.mark.parametrize("env, expected", [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "zh_TW.UTF-8"}, "zh_CN"),  # no traditional catalog yet: the simplified one
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),  # LC_ALL before LANG
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.GB2312"}, "zh_CN"),
    ({"LANG": "C.UTF-8", "LANGUAGE": "zh_CN:en"}, "zh_CN"),  # containers with only C.UTF-8
    ({"LANG": "zh_CN.UTF-8", "LANGUAGE": "fr:en"}, "en"),  # the first LANGUAGE entry tui-dl speaks
    ({"LANGUAGE": "", "LC_ALL": "", "LANG": "zh_SG"}, "zh_CN"),  # empty variables are skipped
])
def test_language_from_environment(env, expected):
    assert i18n.language_from_environment(env) == expected


def test_lang_option_wins_and_unknown_is_refused():
    assert i18n.choose_language("zh", {"LANG": "en_US.UTF-8"}) == "zh_CN"
    assert i18n.language() == "zh_CN"
    assert i18n.choose_language("en", {"LANG": "zh_CN.UTF-8"}) == "en"
    with pytest.raises(ValueError, match="--lang fr"):
        i18n.choose_language("fr")


def test_choice_does_not_depend_on_an_installed_locale(monkeypatch):
    import locale

    def no_locale(*_a, **_k):
        raise locale.Error("unsupported locale setting")
    monkeypatch.setattr(locale, "setlocale", no_locale)
    assert i18n.choose_language(None, {"LANG": "zh_CN.UTF-8"}) == "zh_CN"


def test_switch_translates_and_tells_listeners(chinese):
    heard = []
    stop = i18n.on_language_change(heard.append)
    try:
        i18n.set_language("en")
        assert i18n._("--lang {value}: tui-dl speaks {choices}").startswith("--lang {value}: tui-dl")
        i18n.set_language("zh_CN")
        assert "支持" in i18n._("--lang {value}: tui-dl speaks {choices}")
        i18n.set_language("zh_CN")  # no change: no call
    finally:
        stop()
    i18n.set_language("en")
    assert heard == ["en", "zh_CN"]


def test_unknown_message_is_its_own_translation(chinese):
    assert i18n._("a sentence no catalog has") == "a sentence no catalog has"


@pytest.mark.parametrize("text, width", [("abc", 3), ("卷积", 4), ("卷积 Conv2d", 11), ("", 0), ("é", 1),
                                         ("，", 2)])
def test_text_width_counts_cells(text, width):
    assert i18n.text_width(text) == width


def test_padding_and_truncation_by_cells():
    assert i18n.ljust("池化", 6) == "池化  "
    assert i18n.rjust("池化", 6) == "  池化"
    assert i18n.text_width(i18n.center("池化", 7)) == 7
    cut = i18n.truncate("反向传播算法", 7)
    assert cut == "反向传…" and i18n.text_width(cut) == 7
    assert i18n.truncate("short", 9) == "short"


def test_plot_text_keeps_ascii_only(chinese):
    assert i18n.plot_text("--lang {value}: tui-dl speaks {choices}") == "--lang {value}: tui-dl speaks {choices}"


def test_wrap_parts_breaks_between_notes_and_wraps_a_long_one_by_cells():
    parts = ["最佳轮次：第 1 轮，验证准确率 95.00%", "行为真实类别，列为预测类别"]
    lines = i18n.wrap_parts(parts, 40)
    assert lines == parts  # together they are 66 cells: the second note moves whole to the next line
    assert i18n.wrap_parts(parts, 80) == [" · ".join(parts)]
    long = i18n.wrap_parts(["短", "行为真实类别，列为预测类别"], 10)
    assert long[0] == "短" and all(i18n.text_width(line) <= 10 for line in long) and len(long) == 4, long
    assert "".join(long[1:]) == "行为真实类别，列为预测类别"
