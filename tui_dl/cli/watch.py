"""``tui-dl watch RUN``: follow a run that another process (a ``--batch`` job, the app, a cluster job writing to a
shared folder) is training: the events already logged, then each new one as it is written, printed as ``--batch``
prints them (or ``--jsonl``). It stops when the run ends, when its process is gone without a final event (killed,
crashed), and it starts over when the run is resumed into the folder (see :mod:`tui_dl.core.runs.follow`).

Exit codes: the run's own (0 finished, 1 diverged, 130 stopped), 1 when the writer died or stalled, 2 when there
is no run; Ctrl+C stops watching (130) and leaves the run alone. Torch is not loaded."""

from __future__ import annotations

import argparse
import json
import os
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.cli.parsing import Parser
from tui_dl.core.i18n import _

PROG = "tui-dl watch"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG, description=_("Follow a run being trained by another process until it ends."),
               epilog=_("Exit codes: the run's own when it ends (0 finished, 1 diverged, 130 stopped); 1 when its "
                        "writer died without a final event; 2 when there is no such run; 130 on Ctrl+C (the run "
                        "goes on)."))
    p.add_argument("run", metavar="RUN", help=_("the run folder (it may not exist yet: it is waited for)"))
    p.add_argument("--jsonl", action="store_true", help=_("print each event as one JSON line"))
    p.add_argument("--quiet", action="store_true", help=_("print only the final result"))
    p.add_argument("--interval", type=float, default=0.25, metavar="S", help=_("seconds between looks (0.25)"))
    p.add_argument("--grace", type=float, default=2.0, metavar="S",
                   help=_("seconds without a new line before a gone writer means the run died (2)"))
    p.add_argument("--stale-after", type=float, default=600.0, metavar="S",
                   help=_("a writer on another host is given up after this many seconds without an event (600)"))
    p.add_argument("--wait", type=float, default=15.0, metavar="S",
                   help=_("how long to wait for the run folder to appear (15)"))
    return p


def watch_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    for name in ("interval", "grace", "stale_after", "wait"):
        v = getattr(args, name)
        if not v >= 0 or v > 86400:
            print(_("{prog}: --{option} must be between 0 and 86400 seconds").format(
                prog=PROG, option=name.replace("_", "-")), file=sys.stderr)
            return EXIT_BAD_INPUT
    from tui_dl.cli.batch import _json_safe, _Printer
    from tui_dl.core.runs.follow import Follower, Restarted, RunEnded, follow
    from tui_dl.core.training.events import (CheckpointSaved, Diverged, EarlyStopped, EpochDone, Finished, Notice,
                                             RunStarted, StepDone, event_to_dict)

    human = sys.stderr if args.jsonl else sys.stdout
    printer = _Printer(human, quiet=args.quiet, color="NO_COLOR" not in os.environ)
    handlers = {StepDone: printer.step, EpochDone: printer.epoch, RunStarted: printer.started_run,
                Notice: printer.notice, CheckpointSaved: printer.checkpoint, EarlyStopped: printer.early_stop,
                Diverged: printer.diverged, Finished: printer.finished}
    follower = Follower(args.run, interval=max(args.interval, 0.01), grace=args.grace, stale_after=args.stale_after,
                        wait_start=args.wait)
    ended = None
    try:
        for item in follow(follower):
            if isinstance(item, RunEnded):
                ended = item
            elif isinstance(item, Restarted):
                printer.warn(f"{PROG}: {item.message}")
            else:
                if args.jsonl:
                    print(json.dumps(_json_safe(event_to_dict(item)), ensure_ascii=False), flush=True)
                handler = handlers.get(type(item))
                if handler is not None:
                    handler(item)
    except KeyboardInterrupt:
        printer._clear_live()
        print("\n" + _("{prog}: stopped watching; the run goes on").format(prog=PROG), file=sys.stderr)
        return EXIT_INTERRUPTED
    if ended is None:  # pragma: no cover - follow() only returns after a RunEnded here
        return EXIT_FAILED
    if ended.how == "missing":
        print(f"{PROG}: {ended.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if ended.how != "finished":
        printer._clear_live()
        print(f"{PROG}: {ended.message}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    return {"completed": EXIT_OK, "early_stopped": EXIT_OK, "stopped": EXIT_INTERRUPTED}.get(ended.status,
                                                                                           EXIT_FAILED)
