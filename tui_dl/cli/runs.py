"""``tui-dl runs DIR... [--json|--csv|--md] [--sort KEY]``: one row per run folder found under the folders given
(recursively): its name, experiment, dataset, status (finished, interrupted, diverged, running; broken or foreign
with the reason), epochs, best and final val accuracy, test accuracy, train time, img/s and device. For a TA
marking a class's runs, or an engineer comparing a sweep. Torch is not loaded."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from tui_dl.cli.exit_codes import EXIT_OK
from tui_dl.cli.parsing import Parser
from tui_dl.core.i18n import N_, _, ljust, rjust, text_width

PROG = "tui-dl runs"
#: (key, heading) of the text and Markdown tables (translated where shown; the CSV's header is the keys).
TABLE = (("name", N_("run")), ("experiment", N_("experiment")), ("dataset", N_("dataset")), ("status", N_("status")),
         ("epochs", N_("epochs")), ("best_val_accuracy", N_("best val")), ("final_val_accuracy", N_("final val")),
         ("test_accuracy", N_("test")), ("train_seconds", N_("train time")), ("images_per_second", "img/s"),
         ("device", N_("device")), ("reason", N_("note")))
#: A run's status (:data:`tui_dl.core.runs.scan.STATUSES`) as the text and Markdown tables show it.
STATUS_TEXT = {"finished": N_("finished"), "interrupted": N_("interrupted"), "diverged": N_("diverged"),
               "running": N_("running"), "broken": N_("broken"), "foreign": N_("foreign")}


def build_parser() -> argparse.ArgumentParser:
    from tui_dl.core.runs.scan import COLUMNS

    p = Parser(prog=PROG, description=_("List the run folders under DIR (recursively), one row each. Broken or "
                                        "foreign folders are listed with the reason."))
    p.add_argument("dirs", nargs="+", metavar="DIR", help=_("a run folder or a folder of run folders (e.g. runs)"))
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help=_("a JSON list, one object per folder (path, status, ...)"))
    fmt.add_argument("--csv", action="store_true", help=_("CSV with a header row"))
    fmt.add_argument("--md", action="store_true", help=_("a Markdown table"))
    p.add_argument("--sort", default="path", choices=COLUMNS, metavar="KEY",
                   help=_("order the rows by this field (default path): {keys}").format(keys=", ".join(COLUMNS)))
    p.add_argument("--reverse", action="store_true", help=_("largest (or last) first"))
    return p


def _sorted(rows, key: str, reverse: bool):
    have = [r for r in rows if getattr(r, key) not in (None, "")]
    missing = [r for r in rows if getattr(r, key) in (None, "")]
    return sorted(have, key=lambda r: (getattr(r, key), r.path), reverse=reverse) + missing  # blanks last


def cell(key: str, v) -> str:
    if v is None or v == "":
        return "—" if key != "reason" else ""
    if key == "status":
        return _(STATUS_TEXT[v]) if v in STATUS_TEXT else str(v)
    if key.endswith("accuracy"):
        return f"{100 * v:.2f}%"
    if key == "train_seconds":
        s = int(round(v))
        return f"{v:.1f}s" if v < 60 else (f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600
                                           else f"{s // 60}:{s % 60:02d}")
    if key == "images_per_second":
        return f"{v:,.0f}"
    if key == "device":  # stored in English, like the reason
        from tui_dl.core.device_names import device_text

        return device_text(v)
    if key == "reason":  # stored in English (--json keeps it so), shown in the language spoken
        from tui_dl.core.runs.scan import reason_text

        return reason_text(v)
    return str(v)


def _epochs(r) -> str:
    if r.epochs is None:
        return "—"
    return f"{r.epochs}/{r.epochs_planned}" if r.epochs_planned else str(r.epochs)


def text_table(rows, *, markdown: bool = False) -> str:
    cols = [(k, h) for k, h in TABLE if k != "reason" or any(r.reason for r in rows)]
    body = [[_epochs(r) if k == "epochs" else cell(k, getattr(r, k)) for k, _h in cols] for r in rows]
    heads = [_(h) for _k, h in cols]
    if markdown:
        esc = [[c.replace("|", "\\|") for c in row] for row in body]
        return "\n".join(["| " + " | ".join(heads) + " |", "|" + "|".join("---" for _h in heads) + "|",
                          *("| " + " | ".join(row) + " |" for row in esc)])
    widths = [max(text_width(h), *(text_width(row[i]) for row in body)) for i, h in enumerate(heads)]
    numeric = {"epochs", "best_val_accuracy", "final_val_accuracy", "test_accuracy", "train_seconds",
               "images_per_second"}

    def line(cells):
        return "  ".join(rjust(c, w) if k in numeric else ljust(c, w)
                         for c, w, (k, _h) in zip(cells, widths, cols)).rstrip()

    return "\n".join([line(heads), *(line(row) for row in body)])


def runs_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    from tui_dl.core.runs.scan import COLUMNS, scan

    rows = _sorted(scan(args.dirs), args.sort, args.reverse)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
    elif args.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if getattr(r, k) is None else getattr(r, k) for k in COLUMNS])
        sys.stdout.write(buf.getvalue())
    elif not rows:
        print(_("no run folders under {dirs}").format(dirs=", ".join(args.dirs)), file=sys.stderr)
    else:
        print(text_table(rows, markdown=args.md))
    return EXIT_OK
