"""``tui-dl summary FILE``: the layer table (shapes, parameters, mult-adds and their arithmetic), no torch."""

from __future__ import annotations

import argparse
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from tui_dl.cli.parsing import Parser
from tui_dl.cli.style import color_for
from tui_dl.core import i18n
from tui_dl.core.i18n import _


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="tui-dl summary",
               description=_("Print each layer's output shape, parameters, mult-adds and the arithmetic behind "
                             "them. Exit 0 when the network is valid, 2 when not."))
    p.add_argument("file", help=_("experiment YAML or a preset's name (e.g. lenet5 or presets/lenet5.yaml)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=_("override a field, e.g. --set layers[0].kernel_size=7 (repeatable)"))
    return p


def summary_main(argv: list[str]) -> int:
    from tui_dl.core.config.experiment import ConfigError, load_experiment
    from tui_dl.core.model.shapes import summarize
    from tui_dl.core.presets import resolve_experiment
    from tui_dl.cli.report import summary_json, summary_table

    args = build_parser().parse_args(argv)
    file = resolve_experiment(args.file)
    try:
        exp = load_experiment(file, args.overrides)
    except ConfigError as e:
        print(f"tui-dl: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for w in exp.warnings:
        print(_("warning: {message}").format(message=w), file=sys.stderr)
    summary = summarize(exp.network)
    if args.json:
        # machine-readable output is the same in every language, as --json is elsewhere (runs, lab, presets):
        # the formula texts and messages are made again in English; messages on stderr keep the user's language
        spoken = i18n.language()
        i18n.set_language("en")
        try:
            print(summary_json(summarize(exp.network), exp.name))
        finally:
            i18n.set_language(spoken)
    else:
        shown = args.file if file == args.file else _("preset {name}").format(name=args.file)
        print(summary_table(summary, title=f"{exp.name}  ({shown})", color=color_for(sys.stdout)))
    return EXIT_OK if summary.ok else EXIT_BAD_INPUT
