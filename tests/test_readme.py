"""The README's generated reference tables match the registry and config schema."""

import re

from tui_dl.cli.report import config_reference_markdown, layer_reference_markdown


def block(name: str) -> str:
    text = open("README.md", encoding="utf-8").read()
    m = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert m, f"README lacks the {name} block"
    return m.group(1)


def test_layer_table_is_current():
    assert block("layers") == layer_reference_markdown(), "regenerate with: python -m tui_dl.cli.report"


def test_config_table_is_current():
    assert block("config") == config_reference_markdown(), "regenerate with: python -m tui_dl.cli.report"


def test_readme_has_the_two_commands():
    text = open("README.md", encoding="utf-8").read()
    assert "tui-dl --batch presets/lenet5.yaml" in text
    ci = open(".ci/run", encoding="utf-8").read()
    assert ".venv/bin/python -m pytest -q" in ci and ".venv/bin/python -m pytest -q" in text
