"""Command line: ``tui-dl [FILE]`` opens the app, ``tui-dl --batch FILE`` trains headless,
``tui-dl summary FILE`` prints the layer table,
``tui-dl lab NAME`` runs a Learn lab headless, ``tui-dl attack RUN`` attacks a trained model.

Textual is imported only when the app opens; torch only when training starts.
"""

from __future__ import annotations

import argparse
import os
import sys

from tui_dl import __version__

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.cli.streams import degrade_unencodable, guard_pipes





def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tui-dl",
        description="A deep-learning trainer that lives in the terminal. Without --batch, opens the app.",
        epilog="Subcommands: tui-dl summary FILE [--json] prints the layer table; tui-dl lab NAME [--json] runs a "
               "Learn lab (activations, softmax, conv, pool, backprop, losses, optimizers); tui-dl attack RUN [--eps LIST] "
               "[--json] prints accuracy against adversarial ε and writes attack.json. "
               "Exit codes: 0 ok, 1 training failed (diverged), 2 bad config or data, 130 interrupted.",
    )
    p.add_argument("file", nargs="?", help="experiment YAML to open or run (e.g. presets/lenet5.yaml)")
    p.add_argument("--batch", action="store_true", help="train headless (no UI) and print progress")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, typed like YAML (repeatable): --set train.optimizer.lr=0.01")
    p.add_argument("--epochs", type=int, help="shorthand for --set train.epochs=N")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (shorthand for --set train.device=...)")
    p.add_argument("--out", help="run folder to write (default runs/<name>-<timestamp>/)")
    p.add_argument("--runs-dir", default=None, help="parent folder for run folders (default ./runs)")
    p.add_argument("--resume", metavar="RUN_DIR_OR_CKPT", help="continue a run from its last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="with --out: replace the run already in that folder (its run files are deleted first)")
    p.add_argument("--jsonl", action="store_true", help="print events as JSON lines on stdout")
    p.add_argument("--quiet", action="store_true", help="print only the final result")
    p.add_argument("--version", action="version", version=f"tui-dl {__version__}")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `tui-dl summary ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl+C before training set its own handler (e.g. while torch is imported)
        print("\ntui-dl: interrupted before training started; nothing was changed.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    degrade_unencodable(sys.stdout, sys.stderr)
    if argv and argv[0] == "summary":
        from tui_dl.cli.summary import summary_main

        return summary_main(argv[1:])
    if argv and argv[0] == "lab":
        from tui_dl.cli.lab import lab_main

        return lab_main(argv[1:])
    if argv and argv[0] == "attack":
        from tui_dl.cli.attack import attack_main

        return attack_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.epochs is not None:
        args.overrides.append(f"train.epochs={args.epochs}")
    if args.device:
        args.overrides.append(f"train.device={args.device}")
    if args.batch:
        if not args.file and not args.resume:
            print("tui-dl: --batch needs an experiment file, e.g. tui-dl --batch presets/lenet5.yaml",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        from tui_dl.cli.batch import run_batch

        guard_pipes()  # `tui-dl --batch ... | head`: printing stops when the reader goes, training doesn't
        return run_batch(args)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("tui-dl: no terminal: the app needs one (stdin and stdout are not a terminal here). "
              "To train without one, use --batch: tui-dl --batch FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    from tui_dl.app import run_app

    return run_app(args)


if __name__ == "__main__":
    raise SystemExit(main())
