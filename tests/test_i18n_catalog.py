"""The translation catalogs (issue 20): every message translated, none fuzzy, the same placeholders as its
English source, the shipped .mo compiled from the .po, and the catalog current with the source."""

from __future__ import annotations

import gettext
import importlib.util
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("babel")

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("i18n_tools", ROOT / "tools" / "i18n.py")
tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tools)




def test_every_message_is_translated_with_its_placeholders():
    """No message fuzzy, none with other placeholders, none missing from the catalog; the untranslated ones no
    any untranslated."""
    problems = tools.problems("zh_CN")
    hard = [p for p in problems if "untranslated" not in p]
    assert not hard, "\n".join(hard[:40]) + f"\n… {len(hard)} in all; run python tools/i18n.py all"
    untranslated = [p for p in problems if "untranslated" in p]
    assert not untranslated, "\n".join(untranslated[:40]) + f"\n… {len(untranslated)} in all"


def test_no_fragments_left_unmerged():
    assert not tools.fragments("zh_CN"), "run python tools/i18n.py all: it merges the fragments into the .po"


def test_shipped_mo_is_the_compiled_po():
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, tools.read(tools.po_path("zh_CN")), use_fuzzy=False)
    fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    with open(tools.po_path("zh_CN").with_suffix(".mo"), "rb") as f:
        shipped = gettext.GNUTranslations(f)
    assert shipped._catalog == fresh._catalog, "the .mo is stale: run python tools/i18n.py compile"


def test_the_checks_catch_a_bad_entry(tmp_path):
    po = tmp_path / "bad.po"
    po.write_text('msgid "Epoch {epoch} of {epochs}"\nmsgstr "第 {epoch} 轮，共 {total} 轮"\n\n'
                  'msgid "Loss"\nmsgstr ""\n\n'
                  '#, fuzzy\nmsgid "Accuracy"\nmsgstr "准确率"\n\n'
                  'msgid "lr {lr:.3g}"\nmsgstr "学习率 {lr}"\n\n'
                  'msgid "Stride"\nmsgstr "步长"\n', encoding="utf-8")
    found = tools.lint(po)
    assert len(found) == 4
    assert any("Epoch" in f and "placeholders" in f for f in found)
    assert any("lr {lr:.3g}" in f for f in found)  # a format spec counts as part of the placeholder
    assert not any("Stride" in f for f in found)


def test_fields_reads_brace_placeholders():
    assert tools.fields("{a} and {b:.2%} {{not}}") == ["a:", "b:.2%"]
    assert tools.fields("no fields") == []


def test_a_fragment_corrects_the_catalog_and_fills_plurals(tmp_path, monkeypatch):
    """A fragment's entry wins over the catalog's (a review's correction survives the merge), and a plural the
    catalog holds empty ('',) takes the fragment's translation when compiled before a merge."""
    lang = tmp_path / "zh_CN"
    (lang / "LC_MESSAGES").mkdir(parents=True)
    (lang / "fragments").mkdir()
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
    (lang / "LC_MESSAGES" / "tui_dl.po").write_text(
        header + 'msgid "Compare"\nmsgstr "比较"\n\nmsgid "{n} parameter"\nmsgid_plural "{n} parameters"\n'
        'msgstr[0] ""\n', encoding="utf-8")
    (lang / "fragments" / "review.po").write_text(
        header + 'msgid "Compare"\nmsgstr "对比"\n\nmsgid "{n} parameter"\nmsgid_plural "{n} parameters"\n'
        'msgstr[0] "{n} 个参数"\n', encoding="utf-8")
    monkeypatch.setattr(tools, "LOCALE", tmp_path)
    monkeypatch.setattr(tools, "LANGUAGES", ("zh_CN",))
    known = tools._known("zh_CN")
    assert known[("Compare", None)] == "对比"
    tools.compile_catalogs()
    with open(lang / "LC_MESSAGES" / "tui_dl.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)
    assert mo.gettext("Compare") == "对比"
    assert mo.ngettext("{n} parameter", "{n} parameters", 3) == "{n} 个参数"
