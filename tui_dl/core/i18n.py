"""The language tui-dl speaks: gettext catalogs, the choice of language, and text widths for CJK.

English is the source language and the default. Every user-facing string is written in English and marked:

- ``_("Epoch {epoch} of {epochs}").format(epoch=e, epochs=n)``: translated where it is used (placeholders are
  ``str.format`` names, so a translation can put them in another order);
- ``ngettext("{n} layer", "{n} layers", n).format(n=n)``: a count (Chinese has one form);
- ``N_("Dense")``: marked for extraction only, where a table of texts is built at import time; the code that
  shows it calls ``_(text)`` then, so a live language switch reaches it too;
- ``pgettext("tab", "Train")``: where one English word needs two translations.

The catalogs are ``tui_dl/locale/<lang>/LC_MESSAGES/tui_dl.po`` (edited by people), compiled to ``tui_dl.mo``
(shipped as package data). ``python tools/i18n.py extract|update|compile|check`` runs Babel over
them; the glossary of the course's terms is ``tui_dl/locale/glossary-zh_CN.md``.

The language is chosen once at start-up by :func:`choose_language` (``--lang``, else ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, read as text: whether the system has that locale installed does not matter), and can
be changed at any time with :func:`set_language`; every ``_()`` call after that answers in the new language, and
the listeners registered with :func:`on_language_change` (the app's views) are told.

Text widths: a CJK character takes two terminal cells. :func:`text_width`, :func:`ljust` and :func:`rjust` pad
by cells (``str.ljust`` pads by characters and would misalign every Chinese table).
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping

DOMAIN = "tui_dl"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

#: The languages tui-dl has catalogs for, and English (the source). ``--lang`` takes these and the short names.
LANGUAGES = ("en", "zh_CN")
#: What ``--lang`` and the variables may say, and the catalog each means. zh_TW, zh_HK and zh_Hant read the
#: simplified catalog until a traditional one is written.
ALIASES = {
    "en": "en", "c": "en", "posix": "en",
    "zh": "zh_CN", "zh_cn": "zh_CN", "zh_sg": "zh_CN", "zh_hans": "zh_CN", "zh_my": "zh_CN",
    "zh_tw": "zh_CN", "zh_hk": "zh_CN", "zh_mo": "zh_CN", "zh_hant": "zh_CN",
}
#: The names the UI shows for each language, in that language.
LANGUAGE_NAMES = {"en": "English", "zh_CN": "中文"}
ENV_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_lock = threading.Lock()
_current = "en"
_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_listeners: list[Callable[[str], None]] = []


def normalize(name: str | None) -> str | None:
    """The catalog a language name means (``"zh_CN.UTF-8"`` → ``"zh_CN"``, ``"en_GB"`` → ``"en"``,
    ``"C.UTF-8"`` → ``"en"``), or None for a language tui-dl has no catalog for (``"fr_FR"``)."""
    if not name:
        return None
    text = name.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if not text:
        return None
    if text in ALIASES:
        return ALIASES[text]
    if text.startswith("en_") or text == "en":
        return "en"
    if text.startswith("zh"):
        return "zh_CN"
    return None


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for, read the way gettext reads it: ``LANGUAGE`` (a colon-separated
    list of preferences, the first tui-dl has wins; honoured even beside ``LANG=C.UTF-8``, as Python's gettext
    does, since many servers have no other locale), then the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
    that is set. English when nothing asks for a language tui-dl speaks."""
    env = os.environ if environ is None else environ
    for item in env.get("LANGUAGE", "").split(":"):
        lang = normalize(item)
        if lang:
            return lang
    locale_name = next((env[v] for v in ENV_VARIABLES[1:] if env.get(v, "").strip()), "")
    return normalize(locale_name) or "en"


def choose_language(requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Set the language from ``--lang`` (``requested``) or else the environment, and return it.

    Raises ValueError, naming the choices, for a ``requested`` language tui-dl does not speak."""
    if requested:
        lang = normalize(requested)
        if lang is None:
            raise ValueError(_("--lang {value}: tui-dl speaks {choices}").format(
                value=requested, choices=", ".join(["en", "zh"])))
    else:
        lang = language_from_environment(environ)
    set_language(lang)
    return lang


@lru_cache(maxsize=None)
def _load(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    try:
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
            return _gettext.GNUTranslations(f)
    except OSError:  # a catalog not compiled yet: English, rather than no program at all
        return _gettext.NullTranslations()


def set_language(lang: str) -> None:
    """Speak ``lang`` (one of :data:`LANGUAGES`, or a name :func:`normalize` knows) from now on, and tell the
    listeners when it changed."""
    global _current, _translation
    code = normalize(lang) or "en"
    with _lock:
        changed = code != _current
        _current, _translation = code, _load(code)
        listeners = list(_listeners)
    if changed:
        for listener in listeners:
            listener(code)


def language() -> str:
    """The language spoken now: ``"en"`` or ``"zh_CN"``."""
    return _current


def is_chinese() -> bool:
    return _current.startswith("zh")


def on_language_change(listener: Callable[[str], None]) -> Callable[[], None]:
    """Call ``listener(lang)`` after each change of language; returns the function that stops it."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)
    return remove


def gettext(message: str) -> str:
    """``message`` in the language spoken now (itself where the catalog has no translation)."""
    return _translation.gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _translation.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (it is translated where it is shown)."""
    return message


_ = gettext


# ---------------------------------------------------------------------------------------------- text widths
def char_width(ch: str) -> int:
    """Terminal cells ``ch`` takes: 2 for wide and full-width (CJK) characters, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Terminal cells ``text`` takes (``len`` counts a Chinese character as 1; it takes 2)."""
    if text.isascii():
        return len(text)
    return sum(char_width(c) for c in text)


def ljust(text: str, width: int, fill: str = " ") -> str:
    """``text`` padded on the right to ``width`` cells."""
    return text + fill * max(0, width - text_width(text))


def rjust(text: str, width: int, fill: str = " ") -> str:
    """``text`` padded on the left to ``width`` cells."""
    return fill * max(0, width - text_width(text)) + text


def center(text: str, width: int, fill: str = " ") -> str:
    gap = max(0, width - text_width(text))
    return fill * (gap // 2) + text + fill * (gap - gap // 2)


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``width`` cells, ending in ``ellipsis`` where it was cut."""
    if text_width(text) <= width:
        return text
    out, used = [], text_width(ellipsis)
    for c in text:
        w = char_width(c)
        if used + w > width:
            break
        out.append(c)
        used += w
    return "".join(out) + ellipsis


#: punctuation a line may not start with (it closes what came before)
_CLOSING = set("，。；：、！？）》」』】”’…·,.;:!?)]}%")
#: punctuation a line may not end with (it opens what comes after)
_OPENING = set("（《「『【“‘([{")
_TOKEN = re.compile(r"\s+|[^\s]")


def _wide(ch: str) -> bool:
    return char_width(ch) == 2


def _units(text: str) -> list[str]:
    """``text`` cut where a line may break: words of narrow characters, single wide characters and spaces, with
    closing punctuation glued to what precedes it and opening punctuation to what follows."""
    units: list[str] = []
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c.isspace():
            units.append(" ")
            continue
        prev = units[-1] if units and units[-1] != " " else ""
        if prev and (c in _CLOSING or prev[-1] in _OPENING or not (_wide(c) or _wide(prev[-1]))):
            units[-1] += c
        else:
            units.append(c)
    return units


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` (its whitespace collapsed) in lines of at most ``width`` terminal cells (a longer word stays
    whole on its own line)."""
    width = max(width, 2)
    lines: list[str] = []
    line, used = "", 0
    for unit in _units(" ".join(text.split())):
        if unit == " ":
            if line:
                line, used = line + " ", used + 1
            continue
        w = text_width(unit)
        if line and used + w > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + unit, used + w
    if line.strip():
        lines.append(line.rstrip())
    return lines


def wrap_parts(parts: list[str], width: int, sep: str = " · ") -> list[str]:
    """``parts`` joined by ``sep`` in lines of at most ``width`` cells, breaking between parts where it can:
    a part that fits on a line is never split across two; a longer one is wrapped by :func:`wrap_cells`."""
    lines: list[str] = []
    for part in parts:
        if lines and text_width(lines[-1] + sep + part) <= width:
            lines[-1] += sep + part
        elif text_width(part) <= width:
            lines.append(part)
        else:
            lines.extend(wrap_cells(part, width))
    return lines


def plot_text(message: str) -> str:
    """A plot's title or axis label: translated where the translation is plain ASCII, else the English source.
    plotext draws one character per cell, so a double-width character would push the rest of its row off by
    one (the issue's "plotext labels that can't render CJK fall back to English")."""
    text = gettext(message)
    return text if text.isascii() else message
