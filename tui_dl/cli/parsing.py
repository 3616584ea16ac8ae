"""The argument parser every tui-dl subcommand shares: a mistake on the command line is one line naming the
option and how to get help, exit code 2 (argparse's own prints the whole usage block first)."""

from __future__ import annotations

import argparse
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        print(f"{self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def fail(prog: str, message: str) -> int:
    """Print ``prog: message`` on stderr and return the bad-input exit code."""
    print(f"{prog}: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
