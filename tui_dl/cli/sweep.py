"""``tui-dl --batch FILE --sweep KEY=V1,V2 [--sweep ...]``: a comparison sweep, headless.

One run per combination of the swept values (:mod:`tui_dl.core.config.sweep`), one after another, each in its
own folder under one sweep folder (``runs/sweep-<stamp>/optimizer.name=adam/``), then a table: best val
accuracy, final train loss, test accuracy, wall time and img/s per run, and whether the runs started from the
same initial weights (``init_sha256`` in each summary.json). Every run keeps the file's seed, so the network
starts from the same weights (unless the swept value changes the network) and sees the batches in the same
order: the curves differ only by what was swept.

The sweep folder holds ``sweep.json`` (the file, the overrides, the axes, each run's result) and ``table.md``.
Ctrl+C stops the run in progress with a checkpoint (as ``--batch`` does); running the same command again (or
``--resume SWEEPDIR``) skips the finished runs, resumes the interrupted one from its checkpoint and runs the
rest. Each run is a ``--batch`` run (the same printing, exit codes and resume machinery).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from tui_dl.core.i18n import N_, _
from tui_dl.core.runs.sweep_record import run_row as _row, run_summary as _summary, sweep_table
from tui_dl.core.runs.sweep_record import sweep_identity as _identity
from tui_dl.core.runs.folder import new_run_dir

SWEEP_JSON = "sweep.json"
DONE = ("completed", "early_stopped", "diverged")


class _Bad(Exception):
    pass


def _read_sweep_json(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / SWEEP_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, obj) -> None:
    from tui_dl.core.runs.atomic import atomic_write

    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=1, ensure_ascii=False) + "\n"))


def _find_unfinished(runs_dir: Path, ident: dict[str, Any]) -> Path | None:
    """The newest sweep folder of the same command whose runs are not all done."""
    if not runs_dir.is_dir():
        return None
    for folder in sorted(runs_dir.glob("sweep-*"), reverse=True):
        js = _read_sweep_json(folder)
        if js and js.get("identity") == ident and not js.get("finished"):
            return folder
    return None


def _load_base(file: str, overrides: list[str]):
    from tui_dl.core.config.experiment import apply_overrides, experiment_from_data
    from tui_dl.core.config.yamlio import read_text, read_yaml

    data, _warnings = read_yaml(read_text(file), file)
    if overrides:
        data = apply_overrides(data, overrides)
    experiment_from_data(data, file)  # the base itself must be valid (its messages name the file's lines)
    return data


def run_sweep(args) -> int:
    """``tui-dl --batch FILE --sweep ...`` (``args`` from the main parser); returns the exit code."""
    try:
        return _run_sweep(args)
    except _Bad as e:
        print(f"tui-dl: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\n" + _("interrupted between runs: run the same command again to continue the sweep"), file=sys.stderr)
        return EXIT_INTERRUPTED


def _plan(args):
    """(sweep folder or None, file, overrides, axes, combinations) from the command line, or _Bad."""
    from tui_dl.core.config.experiment import ConfigError
    from tui_dl.core.config.sweep import SweepError, build_combinations, parse_axis

    folder = None
    file, overrides = args.file, list(args.overrides)
    try:
        axes = [parse_axis(t) for t in args.sweep]
    except SweepError as e:
        raise _Bad(str(e)) from None
    if args.resume:
        folder = Path(args.resume).expanduser()
        js = _read_sweep_json(folder)
        if js is None:
            raise _Bad(_("--resume {folder}: no {file} there; give the sweep folder (runs/sweep-<stamp>) or run the "
                         "sweep command again without --resume").format(folder=args.resume, file=SWEEP_JSON))
        ident = js["identity"]
        if axes and [[a.key, list(a.values)] for a in axes] != ident["axes"]:
            raise _Bad(_("--resume {folder}: that sweep swept {axes}, not {given}; leave out --sweep to continue it")
                       .format(folder=args.resume, axes=_axes_text(ident["axes"]),
                               given=_axes_text([[a.key, list(a.values)] for a in axes])))
        file, overrides = ident["file"], list(ident["overrides"])
        axes = [parse_axis(f"{k}={','.join(v)}") for k, v in ident["axes"]]
    if not axes:
        raise _Bad(_("--sweep needs KEY=VALUE1,VALUE2, e.g. --sweep train.optimizer.name=sgd,momentum,adam"))
    if not file:
        raise _Bad(_("--sweep needs an experiment file or a preset, e.g. tui-dl --batch lenet5 --sweep "
                     "train.optimizer.name=sgd,adam"))
    try:
        base = _load_base(file, overrides)
        combos = build_combinations(base, axes, file)
    except ConfigError as e:
        raise _Bad(str(e)) from None
    except SweepError as e:
        raise _Bad(str(e)) from None
    return folder, file, overrides, axes, combos


def check_sweep(args) -> int | None:
    """``--dry-run``/``--print-config`` with ``--sweep``: every combination checked as the sweep would check it
    and listed on stderr (nothing written); the exit code of a bad one, or None to go on with the preview."""
    try:
        _folder, file, _overrides, axes, combos = _plan(args)
    except _Bad as e:
        print(f"tui-dl: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_("sweep: {n} runs of {file} ({axes}), each checked; the preview below is of the file without the swept "
            "values").format(n=len(combos), file=file, axes=_axes_text([[a.key, list(a.values)] for a in axes])),
          file=sys.stderr)
    for i, (combo, _exp, notes) in enumerate(combos):
        print(f"  [{i + 1}/{len(combos)}] {combo.label}"
              + "".join("  " + _("(note: {note})").format(note=n) for n in notes), file=sys.stderr)
    sys.stderr.flush()
    return None


_STATUSES = {"completed": N_("completed"), "early_stopped": N_("early stopped"), "diverged": N_("diverged")}


def _status(status: str) -> str:
    """A run's status (a summary.json value) as the people reading the output say it."""
    return _(_STATUSES[status]) if status in _STATUSES else status


def _axes_text(axes) -> str:
    return " ".join(f"{k}={','.join(v)}" for k, v in axes)


def _run_sweep(args) -> int:
    from tui_dl.cli.batch import prepare_out_folder, run_batch

    folder, file, overrides, axes, combos = _plan(args)
    ident = _identity(file, overrides, axes)
    runs_dir = Path(args.runs_dir or "runs").expanduser()
    human = sys.stderr if args.jsonl else sys.stdout
    if folder is None and args.out:
        folder = Path(args.out).expanduser()
        js = _read_sweep_json(folder) if folder.is_dir() else None
        if js is not None and js.get("identity") != ident:
            raise _Bad(_("--out {folder} holds another sweep ({axes}); choose another folder").format(
                folder=args.out, axes=_axes_text(js["identity"]["axes"])))
        if js is None and folder.is_dir() and any(folder.iterdir()):
            raise _Bad(_("--out {folder} is not empty and holds no sweep: choose an empty or new folder").format(
                folder=args.out))
    if folder is None:
        folder = _find_unfinished(runs_dir, ident)
        if folder is not None:
            print(_("continuing the unfinished sweep in {folder}").format(folder=folder), file=human, flush=True)
    try:
        if folder is None:
            folder = new_run_dir(runs_dir, "sweep")  # runs/sweep-<stamp>[-2...]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "configs").mkdir(exist_ok=True)
    except OSError as e:
        raise _Bad(_("cannot write the sweep folder: {error}").format(error=e.strerror or e)) from None
    before = _read_sweep_json(folder) or {}
    command = before.get("command") if isinstance(before.get("command"), list) else sys.argv[1:]  # the first one
    record: dict[str, Any] = {"identity": ident, "command": command, "finished": False,
                              "runs": [_row(c, folder / c.slug, "pending") for c, _e, _n in combos]}
    _write_json(folder / SWEEP_JSON, record)
    print(_("sweep: {n} runs of {file} ({axes}) in {folder}").format(n=len(combos), file=file,
                                                                     axes=_axes_text(ident["axes"]), folder=folder),
          file=human, flush=True)
    failed = False
    for i, (combo, exp, notes) in enumerate(combos):
        run_dir = folder / combo.slug
        done = _summary(run_dir)
        if done is not None and done.get("status") in DONE:
            print(_("[{i}/{n}] {label}: already {status}, skipped").format(
                i=i + 1, n=len(combos), label=combo.label, status=_status(done["status"])), file=human, flush=True)
            continue
        print(f"\n[{i + 1}/{len(combos)}] {combo.label}", file=human, flush=True)
        for n in notes:
            print("  " + _("note: {note}").format(note=n), file=human, flush=True)
        run_args = argparse.Namespace(file=None, overrides=[], resume=None, out=None, jsonl=args.jsonl,
                                      quiet=args.quiet, runs_dir=str(runs_dir), overwrite=False)
        if (run_dir / "last.pt").is_file():
            run_args.resume = str(run_dir)
        else:
            cfg = folder / "configs" / f"{combo.slug}.yaml"
            exp.name = f"{exp.name} ({combo.label})"
            cfg.write_text(exp.to_yaml(), encoding="utf-8")
            problem = prepare_out_folder(run_dir, overwrite=True)  # a run that never saved a checkpoint
            if problem:
                raise _Bad(problem)
            run_args.file, run_args.out = str(cfg), str(run_dir)
        rc = run_batch(run_args)
        record["runs"][i] = _row(combo, run_dir, "stopped" if rc == EXIT_INTERRUPTED else "failed")
        _write_json(folder / SWEEP_JSON, record)
        if rc == EXIT_INTERRUPTED:
            print("\n" + _("sweep interrupted at run {i}/{n} ({label}); continue it with the same command, or: "
                          "tui-dl --batch --resume {folder}").format(i=i + 1, n=len(combos), label=combo.label,
                                                                     folder=folder), file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED
        if rc == EXIT_BAD_INPUT:
            print(_("tui-dl: the sweep stops: run {label} could not start (see above)").format(label=combo.label),
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        failed = failed or rc != EXIT_OK
    record["runs"] = [_row(c, folder / c.slug, "missing") for c, _e, _n in combos]
    record["finished"] = True
    table = sweep_table(record["runs"])
    record["table"] = table
    _write_json(folder / SWEEP_JSON, record)
    (folder / "table.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    print("\n" + "\n".join(sweep_table(record["runs"], shown=True)), file=human, flush=True)
    print(_("sweep folder: {folder}  (sweep.json, table.md, one run folder per row)").format(folder=folder),
          file=human, flush=True)
    return EXIT_FAILED if failed else EXIT_OK
