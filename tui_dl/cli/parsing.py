"""The argument parser every tui-dl subcommand shares: a mistake on the command line is one line naming the
option and how to get help, exit code 2 (argparse's own prints the whole usage block first). Every parser takes
``--lang zh|en``; :func:`early_language` reads it from the command line before any parser is built, so the help
texts are in that language too."""

from __future__ import annotations

import argparse
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT
from tui_dl.cli.help_format import CellHelpFormatter
from tui_dl.core.i18n import _


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """``--lang zh|en`` (read early by :func:`early_language`; here so that parsing accepts it and --help lists it)."""
    parser.add_argument("--lang", metavar="zh|en",
                        help=_("the language tui-dl speaks (default: LANGUAGE, LC_ALL, LC_MESSAGES or LANG)"))


def early_language(argv: list[str]) -> str | None:
    """The value of the last ``--lang X`` / ``--lang=X`` in ``argv`` (before a ``--``), or None."""
    found = None
    for i, a in enumerate(argv):
        if a == "--":
            break
        if a == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif a.startswith("--lang="):
            found = a.split("=", 1)[1]
    return found


class LangParser(argparse.ArgumentParser):
    """An ArgumentParser that takes ``--lang``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", CellHelpFormatter)  # Chinese help wrapped by terminal cells
        super().__init__(*args, **kwargs)
        add_lang_option(self)

    def parse_known_intermixed_args(self, args=None, namespace=None):
        # argparse keeps the usage for its error messages as format_usage()[7:], cutting len("usage: ")
        # characters whatever the language: in Chinese ("用法: ") that ate "tui" from the program's name.
        if self.usage is not None:
            return super().parse_known_intermixed_args(args, namespace)
        prefix = argparse._("usage: ")
        text = self.format_usage()
        self.usage = (text[len(prefix):] if text.startswith(prefix) else text).rstrip("\n").replace("%", "%%")
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self.usage = None


class Parser(LangParser):
    def error(self, message: str):
        print(_("{prog}: {message} (see {prog} --help)").format(prog=self.prog, message=message), file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def fail(prog: str, message: str) -> int:
    """Print ``prog: message`` on stderr and return the bad-input exit code."""
    # TRANSLATORS: a command's error line, e.g. "tui-dl new: my.yaml already exists; ..."
    print(_("{prog}: {message}").format(prog=prog, message=message), file=sys.stderr)
    return EXIT_BAD_INPUT
