"""Checks for command-line output in Chinese (issue 20): the English prose words left in a text, and columns
measured in terminal cells."""

from __future__ import annotations

import re

from tests.i18n_scan import code_words

#: argparse's own words and the shared ``--lang`` option's help: translated in the main catalog (not in the
#: fragments of the commands), so a command's test does not depend on them.
ARGPARSE_TEXTS = (
    "usage:", "positional arguments", "options:", "show this help message and exit",
    "the language tui-dl speaks (default: LANGUAGE, LC_ALL, LC_MESSAGES or LANG)",
)
_CODE = re.compile(
    r"tui-dl(?: lab| attack)?"      # the program
    r"|(?<![\w-])--?[\w-]+"         # an option (--stride, -h)
    r"|\b[A-Z][A-Z0-9_]+\b"         # a metavar (RUN_OR_CKPT, KEY=VALUE)
    r"|[\w.-]*[\w]+\.(?:pt|json|md|yaml|py)\b"   # a file name
    r"|\b\w+(?:\.\w+)+\b"           # a dotted name (train.optimizer.name, torch.optim)
    r"|\b\w+=[\w.,:-]*"             # a KEY=VALUE (negative_slope=0.1, optimizer=sgd)
    r"|\b\w+_\w+\b"                 # a snake_case name
    r"|/\S*|\S*/\S*"                # a path
)


def english_words(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """English words (3+ letters) in ``text`` that are not code (options, metavars, file names, dotted keys,
    KEY=VALUE, layer kinds, Adam, FGSM, …) or in ``allowed``: what a student reading the Chinese output would
    still meet in English. argparse's own texts (:data:`ARGPARSE_TEXTS`) are left out."""
    flat = " ".join(text.split())
    for t in ARGPARSE_TEXTS:
        flat = flat.replace(t, " ")
    flat = _CODE.sub(" ", flat)
    words = code_words() | set(allowed)
    lower = {w.lower() for w in words}
    found = re.findall(r"[A-Za-z][A-Za-z'-]{2,}", flat)
    return sorted({w for w in found if w not in words and w.lower() not in lower})


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def column_ends(line: str) -> list[int]:
    """The terminal cell at which each cell of a table row ends (cells are two or more spaces apart; a cell may
    hold single spaces, as 判为 3 does)."""
    from tui_dl.core.i18n import text_width

    return [text_width(line[:m.end()]) for m in re.finditer(r"\S+(?: \S+)*", line)]
