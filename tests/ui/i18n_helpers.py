"""Checks for the app in Chinese (issue 20): the screen's text, and the English words left on it."""

from __future__ import annotations

import html
import re

from tests.i18n_scan import code_words

_TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)
_TAG = re.compile(r"<[^>]+>")


def screen_text(app) -> str:
    """The text of the app's screen now, line pieces joined by newlines (from its SVG screenshot)."""
    svg = app.export_screenshot()
    pieces = [html.unescape(_TAG.sub("", m)) for m in _TEXT.findall(svg)]
    return "\n".join(p.replace("\xa0", " ") for p in pieces)


def english_words(app, allowed: set[str] = frozenset()) -> list[str]:
    """English words (3+ letters) on the screen that are not code names (layer kinds, Adam, MNIST, …) or in
    ``allowed``: what a student reading the Chinese interface would still meet in English."""
    words = code_words() | set(allowed)
    lower = {w.lower() for w in words}
    found = re.findall(r"[A-Za-z][A-Za-z'-]{2,}", screen_text(app))
    return sorted({w for w in found if w not in words and w.lower() not in lower})
