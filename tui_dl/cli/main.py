"""Command line: ``tui-dl [FILE]`` opens the app, ``tui-dl --batch FILE`` trains headless, and each name in
:data:`COMMANDS` is a subcommand (``tui-dl summary FILE``, ``tui-dl export RUN``, ...).

FILE is an experiment YAML, a run folder (the app shows it), or the name of a preset installed with tui-dl
(``tui-dl lenet5``). Adding a subcommand is one entry in :data:`COMMANDS`: a module with
``<name>_main(argv) -> int`` and ``build_parser()`` (for ``--help`` and shell completion). Every command's module
is imported only when it runs; Textual only when the app opens; torch only when a command needs it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from dataclasses import dataclass

from tui_dl import __version__

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.cli.argparse_texts import install as _install_argparse_texts
from tui_dl.cli.help_format import CellRawDescriptionHelpFormatter
from tui_dl.cli.parsing import Parser, early_language
from tui_dl.core import i18n
from tui_dl.core.i18n import N_, _
from tui_dl.cli.streams import degrade_unencodable, guard_pipes


@dataclass(frozen=True)
class Command:
    """A subcommand: ``module`` holds ``main(argv) -> int`` and ``parser() -> ArgumentParser``."""

    module: str
    help: str
    main: str
    parser: str = "build_parser"


COMMANDS: dict[str, Command] = {
    "summary": Command("tui_dl.cli.summary", N_("the layer table: shapes, parameters, mult-adds, the working shown"),
                       "summary_main"),
    "presets": Command("tui_dl.cli.presets", N_("list the presets installed with tui-dl"), "presets_main"),
    "new": Command("tui_dl.cli.presets", N_("copy a preset into a new experiment file to edit"), "new_main",
                   "build_new_parser"),
    "export": Command("tui_dl.cli.export", N_("export a trained model: state_dict, torchscript, onnx or py"),
                      "export_main"),
    "predict": Command("tui_dl.cli.predict", N_("classify image files with a trained model (top-k classes)"),
                       "predict_main"),
    "lab": Command("tui_dl.cli.lab", N_("a Learn lab worked out on small numbers (activations, conv, backprop, ...)"),
                   "lab_main"),
    "attack": Command("tui_dl.cli.attack", N_("FGSM/PGD attacks on a trained model: accuracy against ε, attack.json"),
                      "attack_main"),
    "runs": Command("tui_dl.cli.runs", N_("list run folders: status, epochs, accuracies, speed (--json/--csv/--md)"),
                    "runs_main"),
    "check": Command("tui_dl.cli.check", N_("autograde a run: exit 0 when every --expect 'key>=value' holds"),
                     "check_main"),
    "watch": Command("tui_dl.cli.watch", N_("follow a run another process is training: its events as they come"),
                     "watch_main"),
    "schema": Command("tui_dl.cli.schema", N_("the JSON Schema of the experiment file (for editor completion)"),
                      "schema_main"),
    "completion": Command("tui_dl.cli.completion", N_("the shell completion script: bash, zsh or fish"),
                          "completion_main"),
}


def load_command(name: str):
    """(main, build_parser) of the subcommand ``name``."""
    cmd = COMMANDS[name]
    module = importlib.import_module(cmd.module)
    return getattr(module, cmd.main), getattr(module, cmd.parser, None)


def _commands_text() -> str:
    """The command table of the main --help, each help wrapped by terminal cells as argparse wraps (the
    terminal's width less 2)."""
    import shutil

    from tui_dl.cli.help_format import wrap_cells

    width = max(len(n) for n in COMMANDS)
    room = max(shutil.get_terminal_size().columns - 2 - (width + 4), 20)
    rows = []
    for name, c in COMMANDS.items():
        lines = wrap_cells(_(c.help), room) if not _(c.help).isascii() else [_(c.help)]
        rows.append(f"  {name.ljust(width)}  {lines[0]}")
        rows += [" " * (width + 4) + line for line in lines[1:]]
    return "\n".join(rows)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="tui-dl",
        formatter_class=CellRawDescriptionHelpFormatter,
        description=_("A deep-learning trainer that lives in the terminal. Without --batch, opens the app."),
        epilog=_("commands (tui-dl COMMAND --help for each):\n{commands}\n\n"
                 "Exit codes: 0 ok, 1 training failed (diverged), 2 bad config, data or command line, "
                 "130 interrupted.").format(commands=_commands_text()),
    )
    p.add_argument("file", nargs="?",
                   help=_("experiment YAML to open or run, a run folder, or a preset's name (tui-dl presets lists "
                        "them), e.g. lenet5"))
    p.add_argument("--batch", action="store_true", help=_("train headless (no UI) and print progress"))
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=_("override a config field, typed like YAML (repeatable): --set train.optimizer.lr=0.01"))
    p.add_argument("--epochs", type=int, help=_("shorthand for --set train.epochs=N"))
    p.add_argument("--device", help=_("auto, cpu, cuda, cuda:N or mps (shorthand for --set train.device=...)"))
    p.add_argument("--out", help=_("run folder to write (default runs/<name>-<timestamp>/)"))
    p.add_argument("--runs-dir", default=None, help=_("parent folder for run folders (default ./runs)"))
    p.add_argument("--resume", metavar="RUN_DIR_OR_CKPT",
                   help=_("continue a run from its last checkpoint (a run folder or a .pt), or an unfinished sweep "
                        "(its sweep folder)"))
    p.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2",
                   help=_("with --batch: one run per value, from the same initial weights, in one sweep folder with a "
                        "table (repeatable: every combination): --sweep train.optimizer.name=sgd,momentum,adam"))
    p.add_argument("--overwrite", action="store_true",
                   help=_("with --out: replace the run already in that folder (its run files are deleted first)"))
    p.add_argument("--nproc", type=int, metavar="N",
                   help=_("--batch on N processes of this machine (data parallel through torch.distributed.run: "
                        "one per GPU, or gloo on the CPU)"))
    p.add_argument("--jsonl", action="store_true", help=_("print events as JSON lines on stdout"))
    p.add_argument("--tensorboard", action="store_true",
                   help=_("also write TensorBoard logs into RUN/tb/ (shorthand for --set train.log_to=[tensorboard])"))
    p.add_argument("--quiet", action="store_true", help=_("print only the final result"))
    p.add_argument("--print-config", action="store_true",
                   help=_("print the fully resolved experiment (every default filled in) as YAML, then exit"))
    p.add_argument("--dry-run", action="store_true",
                   help=_("check everything a run needs (file, network, device, data) and print the plan; train "
                        "nothing"))
    p.add_argument("--version", action="version", version=f"tui-dl {__version__}",
                   help=_("show program's version number and exit"))
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `tui-dl summary ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl+C before training set its own handler (e.g. while torch is imported)
        print("\n" + _("tui-dl: interrupted before training started; nothing was changed."), file=sys.stderr)
        return EXIT_INTERRUPTED


def _unknown_command(word: str) -> str | None:
    """A message when ``word`` (the first argument) is no file or preset but looks like a mistyped command."""
    from tui_dl.core.presets import find_preset

    if word.startswith("-") or os.path.exists(os.path.expanduser(word)) or find_preset(word) is not None:
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.75)
    if not close:
        return None
    return _("tui-dl: {word!r} is not a command, a file or a preset; did you mean {close!r}? "
             "(commands: {commands}; tui-dl --help)").format(word=word, close=close[0], commands=", ".join(COMMANDS))


def _is_sweep_folder(path: str) -> bool:
    return os.path.isfile(os.path.join(os.path.expanduser(path), "sweep.json"))


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    degrade_unencodable(sys.stdout, sys.stderr)
    _install_argparse_texts()
    requested = early_language(argv)
    i18n.choose_language(None)  # the environment's, so that a bad --lang is told in it
    if requested is not None:
        try:
            i18n.choose_language(requested)
        except ValueError as e:
            print(f"tui-dl: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if argv and argv[0] in COMMANDS:
        run, _parser = load_command(argv[0])
        return run(argv[1:])
    if argv and (problem := _unknown_command(argv[0])):
        print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    args = build_parser().parse_args(argv)
    args.argv = list(argv)  # the run's provenance records the command line
    if args.file:
        from tui_dl.core.presets import resolve_experiment

        args.file = resolve_experiment(args.file)
    if args.epochs is not None:
        args.overrides.append(f"train.epochs={args.epochs}")
    if args.device:
        args.overrides.append(f"train.device={args.device}")
    if args.tensorboard:
        args.overrides.append("train.log_to=[tensorboard]")
    if args.nproc is not None and (not args.batch or args.sweep or args.nproc < 1):  # issue 18
        print(_("tui-dl: --nproc N trains one --batch run on N processes (N ≥ 1, no --sweep): "
                "tui-dl --batch FILE --nproc 2"), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.print_config or args.dry_run:
        from tui_dl.cli.preview import preview_main

        if args.sweep:  # check every combination first: a dry run of the sweep, not of the file alone
            from tui_dl.cli.sweep import check_sweep

            if (rc := check_sweep(args)) is not None:
                return rc

        return preview_main(args)
    if args.sweep or (args.resume and args.batch and _is_sweep_folder(args.resume)):
        if not args.batch:
            print(_("tui-dl: --sweep runs headless: add --batch (tui-dl --batch FILE --sweep KEY=V1,V2); in the app, "
                    "the Compare dialog runs a sweep"), file=sys.stderr)
            return EXIT_BAD_INPUT
        from tui_dl.cli.sweep import run_sweep

        guard_pipes()
        return run_sweep(args)
    if args.batch:
        if not args.file and not args.resume:
            print(_("tui-dl: --batch needs an experiment file or a preset, e.g. tui-dl --batch lenet5 "
                    "(tui-dl presets lists them)"), file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.nproc is not None and "WORLD_SIZE" not in os.environ:  # issue 18: not already a rank
            from tui_dl.cli.launch import launch

            return launch(args)
        from tui_dl.cli.batch import run_batch

        guard_pipes()  # `tui-dl --batch ... | head`: printing stops when the reader goes, training doesn't
        return run_batch(args)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(_("tui-dl: no terminal: the app needs one (stdin and stdout are not a terminal here). "
                "To train without one, use --batch: tui-dl --batch FILE"), file=sys.stderr)
        return EXIT_BAD_INPUT
    if requested is None:  # the app: the language picked in it last time, then the environment's
        from tui_dl.core.settings import saved_language

        if saved := saved_language():
            i18n.set_language(saved)
    from tui_dl.app import run_app

    return run_app(args)


if __name__ == "__main__":
    raise SystemExit(main())
