"""``tui-dl check RUN --expect 'test_accuracy>=0.97' [--expect 'epochs<=5' ...]``: an autograder.

Exit 0 when every expectation holds (one ``ok`` line), 1 with one ``FAILED`` line per expectation that does not,
2 on a bad expression, a key the summary does not have, or a run without a readable ``summary.json``. The keys are
``summary.json``'s fields (dots for nested ones); see :mod:`tui_dl.core.runs.expect`. Torch is not loaded."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tui_dl.cli.exit_codes import EXIT_FAILED, EXIT_OK
from tui_dl.cli.parsing import Parser, fail
from tui_dl.core.i18n import _, ngettext

PROG = "tui-dl check"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=_("Check a finished run against expectations (for autograding): exit 0 when "
                                        "all hold, 1 listing those that fail, 2 on a bad expression or run."),
               epilog=_("KEY is a field of the run's summary.json (best.val_accuracy, final.val_loss, "
                        "per_class_accuracy.3, ...; epochs = epochs_run, val_accuracy = final.val_accuracy); "
                        "OP is >= <= > < == !=; VALUE a number (0.97 or 97%), true, false, null or text."))
    p.add_argument("run", metavar="RUN", help=_("a run folder (or its summary.json)"))
    p.add_argument("--expect", "-e", action="append", required=True, metavar="'KEY OP VALUE'",
                   help=_("an expectation, e.g. 'test_accuracy>=0.97' (repeatable: all must hold)"))
    p.add_argument("--quiet", "-q", action="store_true", help=_("print nothing when every expectation holds"))
    return p


def load_summary(run: str) -> dict:
    """The run's summary.json; ValueError with the message otherwise."""
    p = Path(run).expanduser()
    path = p / "summary.json" if p.is_dir() else p
    if not p.exists():
        raise ValueError(_("{run}: no such run folder").format(run=run))
    if not path.is_file():
        from tui_dl.core.runs.scan import read_run

        from tui_dl.core.runs.scan import RUN_MARKERS

        if p.is_dir() and not any((p / m).exists() for m in RUN_MARKERS):
            inside = sorted(d for d in p.iterdir() if d.is_dir() and any((d / m).exists() for m in RUN_MARKERS))
            if inside:  # a class's folder: one check per run
                raise ValueError(_("{folder} is not a run folder but holds {n} (e.g. {example}): check each, "
                                   "e.g. for d in {folder}/*/; do tui-dl check \"$d\" -e ...; done (tui-dl runs "
                                   "{folder} lists them)").format(folder=p, n=len(inside), example=inside[0]))
            raise ValueError(_("{folder} is not a run folder (it has no summary.json, metrics.jsonl or last.pt); "
                               "give the folder --batch trained into, e.g. runs/<name>-<time>").format(folder=p))
        info = read_run(p)
        if info.reason:
            raise ValueError(_("{folder} has no summary.json: the run has not finished (it is {status}: "
                               "{reason})").format(folder=p, status=info.status, reason=info.reason))
        if info.status != "broken":
            raise ValueError(_("{folder} has no summary.json: the run has not finished (it is {status})").format(
                folder=p, status=info.status))
        raise ValueError(_("{folder} has no summary.json: the run has not finished").format(folder=p))
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as e:
        raise ValueError(_("{path} cannot be read: {why}").format(path=path, why=e)) from None
    if not isinstance(data, dict) or "status" not in data:
        raise ValueError(_("{path} is not a tui-dl summary (it has no status field)").format(path=path))
    return data


def check_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from tui_dl.core.runs.expect import ExpectError, check, parse

    try:
        expectations = [parse(t) for t in args.expect]
    except ExpectError as e:
        return fail(PROG, str(e))
    try:
        summary = load_summary(args.run)
    except ValueError as e:
        return fail(PROG, str(e))
    try:
        failed = check(summary, expectations, args.run)
    except ExpectError as e:
        return fail(PROG, f"{args.run}: {e}")
    for line in failed:
        print(line)
    if failed:
        return EXIT_FAILED
    if not args.quiet:
        n = len(expectations)
        print(ngettext("ok: {n} expectation holds for {run}", "ok: all {n} expectations hold for {run}", n).format(
            n=n, run=args.run))
    return EXIT_OK
