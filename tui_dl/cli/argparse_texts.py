"""argparse's own words (``usage:``, ``options``, "the following arguments are required", ...) in the language
tui-dl speaks.

argparse translates through its module-level ``_`` and ``ngettext`` (``from gettext import gettext as _``);
:func:`install` points them at :mod:`tui_dl.core.i18n`, so the catalog tui-dl ships answers. The msgids below
are spelled exactly as argparse's source spells them (Python 3.11), marked with ``N_`` so they are extracted.
"""

from __future__ import annotations

import argparse

from tui_dl.core import i18n
from tui_dl.core.i18n import N_

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("subcommands"),
)


def _expected(n: int) -> str:  # argparse's ngettext('expected %s argument', 'expected %s arguments', n)
    return i18n.ngettext("expected %s argument", "expected %s arguments", n)


def install() -> None:
    """Make argparse speak through tui-dl's catalog (the language chosen at the time each text is shown)."""
    argparse._ = i18n.gettext
    argparse.ngettext = i18n.ngettext


del _expected  # only there so the plural is extracted
