"""``tui-dl presets`` lists the presets installed with tui-dl; ``tui-dl new FILE --from PRESET`` copies one into
a file of your own to edit (the installed presets themselves are never written). No torch."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from tui_dl.cli.parsing import Parser, fail
from tui_dl.core.i18n import _, ljust, text_width, truncate

DEFAULT_PRESET = "lenet5"
PROG = "tui-dl presets"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG,
               description=_("List the presets installed with tui-dl, one line each. Use a preset by its name "
                             "anywhere a file is asked for: tui-dl lenet5, tui-dl --batch lenet5, "
                             "tui-dl summary lenet5."))
    p.add_argument("--json", action="store_true", help=_("machine-readable: name, title, description, path"))
    return p


def _one_line(text: str, width: int | None) -> str:
    text = " ".join(text.split())
    if width is not None and text_width(text) > width:
        return truncate(text, max(2, width))
    return text


def presets_main(argv: list[str]) -> int:
    from tui_dl.core.presets import list_presets, shipped_dir

    args = build_parser().parse_args(argv)
    items = list_presets()
    if args.json:
        print(json.dumps([{"name": p.key, "title": p.title, "description": p.description, "path": str(p.path)}
                          for p in items], indent=2, ensure_ascii=False))
        return EXIT_OK if items else EXIT_BAD_INPUT
    if not items:
        return fail(PROG, _("no presets were found: this installation of tui-dl is incomplete (reinstall it)"))
    key_w = max(len(p.key) for p in items)
    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((100, 24)).columns - key_w - 4 if tty else None
    print(_("Presets installed with tui-dl ({folder}):").format(folder=shipped_dir()))
    for p in items:
        # a preset's description is the YAML's text; translated where the catalog has it (as the Open dialog does)
        what = (_("{title}: {description}").format(title=_(p.title), description=_(p.description))
                if p.description else _(p.title))
        print(f"  {ljust(p.key, key_w)}  {_one_line(what, width)}")
    print(_("Open one: tui-dl {preset} · train it headless: tui-dl --batch {preset} · "
            "copy it to edit: tui-dl new my_net.yaml --from {preset}").format(preset=DEFAULT_PRESET))
    return EXIT_OK


# ----------------------------------------------------------------------------- tui-dl new


def build_new_parser() -> argparse.ArgumentParser:
    p = Parser(prog="tui-dl new",
               description=_("Write a new experiment file, a copy of a preset (comments included), to edit. "
                             "An existing file is kept unless --force."))
    p.add_argument("file", help=_("the file to write, e.g. my_net.yaml"))
    p.add_argument("--from", dest="preset", default=DEFAULT_PRESET, metavar="PRESET",
                   help=_("the preset to copy (default {preset}; tui-dl presets lists them)").format(
                       preset=DEFAULT_PRESET))
    p.add_argument("--force", action="store_true", help=_("replace FILE if it exists"))
    return p


def new_main(argv: list[str]) -> int:
    from tui_dl.core.paths import PathProblem, expand_user
    from tui_dl.core.presets import find_preset, preset_keys, shipped_dir
    from tui_dl.core.runs.atomic import atomic_write

    prog = "tui-dl new"
    args = build_new_parser().parse_args(argv)
    source = find_preset(args.preset)
    if source is None:
        return fail(prog, _("--from {preset}: no such preset; choose one of {choices}").format(
            preset=args.preset, choices=", ".join(preset_keys())))
    try:
        target = expand_user(args.file)
    except PathProblem as e:
        return fail(prog, str(e))
    shipped = shipped_dir()
    if shipped is not None and target.resolve().parent == shipped.resolve():
        return fail(prog, _("{file}: that is the folder of the installed presets, which are never changed; "
                            "write your copy somewhere else, e.g. tui-dl new my_net.yaml --from {preset}").format(
            file=args.file, preset=args.preset))
    if target.is_dir():
        return fail(prog, _("{file} is a folder; give a file name such as {example}").format(
            file=args.file, example=Path(args.file) / "my_net.yaml"))
    if target.exists() and not args.force:
        return fail(prog, _("{file} already exists; choose another name, or replace it with --force").format(
            file=args.file))
    if not target.parent.is_dir():
        return fail(prog, _("{file}: the folder {folder} does not exist").format(file=args.file, folder=target.parent))
    text = source.read_text(encoding="utf-8")
    try:
        atomic_write(target, lambda f: f.write(text))
    except OSError as e:
        return fail(prog, _("could not write {file}: {why}").format(file=args.file, why=e.strerror or e))
    print(_("wrote {file} (a copy of the preset {preset}). Edit it, then: tui-dl summary {file} · "
            "tui-dl {file} (the app) · tui-dl --batch {file}").format(file=args.file, preset=source.stem))
    return EXIT_OK
