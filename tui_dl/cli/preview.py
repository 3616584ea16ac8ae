"""``tui-dl FILE --print-config`` and ``tui-dl [--batch] FILE --dry-run``: what a run would be, without running it.

``--print-config`` prints the fully resolved experiment as YAML: every default filled in (each layer's
arguments, the inferred ``in_channels``/``in_features``/``num_features``, the loss's, optimizer's and
scheduler's own fields), ``--set`` and ``--epochs`` applied. The output loads back as the same experiment.

``--dry-run`` checks all a run needs and prints its plan: the layer table, the device, the dataset (loaded from
this computer only: nothing is downloaded) and the steps, threads and choices the engine would make. Nothing
is trained and nothing is written. Exit 0 when the run could start, 2 when it could not.
"""

from __future__ import annotations

import sys
from typing import Any

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from tui_dl.cli.style import color_for
from tui_dl.core.device_names import device_text
from tui_dl.core.i18n import _, ljust, ngettext


def _layers(rows_by_path: dict, layers, prefix=()) -> list[dict[str, Any]]:
    out = []
    for i, layer in enumerate(layers):
        path = prefix + (i,)
        row = rows_by_path[path]
        d: dict[str, Any] = {"type": layer.type}
        for k, v in row.args.items():
            d[k] = row.inferred.get(k, v) if v is None else v
        if layer.layers or row.type == "Residual":
            d["layers"] = _layers(rows_by_path, layer.layers, path)
        out.append(d)
    return out


def resolved_dict(exp, summary) -> dict[str, Any]:
    """The experiment as a dict with every default written out (``summary``: its valid :class:`Summary`)."""
    from tui_dl.core.config.schema import LOSSES, OPTIMIZERS, SCHEDULERS

    d = exp.to_dict()
    d["layers"] = _layers({r.path: r for r in summary.rows}, exp.network.layers)
    t, train = exp.train, d["train"]
    train["loss"] = {"name": t.loss.name, **t.loss.resolved(LOSSES)}
    train["optimizer"] = {"name": t.optimizer.name, **t.optimizer.resolved(OPTIMIZERS)}
    if t.scheduler is not None:
        train["scheduler"] = {"name": t.scheduler.name, **t.scheduler.resolved(SCHEDULERS)}
    return d


def _load(args):
    from tui_dl.core.config.experiment import ConfigError, load_experiment
    from tui_dl.core.model.shapes import summarize

    what = "--print-config" if args.print_config else "--dry-run"
    if args.resume:
        print(_("tui-dl: {option} looks at a new run from an experiment file; it does not take --resume (the run "
                "folder's config.yaml is its experiment: tui-dl RUN_DIR/config.yaml {option})").format(option=what),
              file=sys.stderr)
        return None
    if not args.file:
        print(_("tui-dl: {option} needs an experiment file or a preset, e.g. tui-dl lenet5 {option}").format(
            option=what), file=sys.stderr)
        return None
    try:
        exp = load_experiment(args.file, args.overrides)
    except ConfigError as e:
        print(f"tui-dl: {e}", file=sys.stderr)
        return None
    for w in exp.warnings:
        print(_("warning: {message}").format(message=w), file=sys.stderr)
    return exp, summarize(exp.network)


def preview_main(args) -> int:
    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_INPUT
    exp, summary = loaded
    if args.print_config:
        if not summary.ok:
            print(_("tui-dl: the network in {file} is not valid: {problem} (tui-dl summary {file} shows where)").format(
                file=args.file, problem=summary.problem_text), file=sys.stderr)
            return EXIT_BAD_INPUT
        from tui_dl.core.config.yamlio import dump_yaml

        sys.stdout.write(dump_yaml(resolved_dict(exp, summary)))
        return EXIT_OK
    return dry_run(exp, summary, args)


def _say(label: str, text: str) -> None:
    print(f"  {ljust(label, 11)} {text}")


def dry_run(exp, summary, args) -> int:
    from tui_dl.cli.report import summary_table

    print(summary_table(summary, title=f"{exp.name}  ({args.file})", color=color_for(sys.stdout)))
    if not summary.ok:
        print(_("tui-dl: the network is not valid: {problem}").format(problem=summary.problem_text), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        from tui_dl.core.data import DataError, describe, load_dataset
        from tui_dl.core.device import DeviceError, describe_device, resolve_device
        from tui_dl.core.training.plan import SetupError, data_request, plan_run
    except (ImportError, OSError) as e:
        print(_("tui-dl: PyTorch could not be loaded ({error}: {why}); training needs it").format(
            error=type(e).__name__, why=e), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_("dry run: what `tui-dl --batch` would do"))
    try:
        dev = resolve_device(exp.train.device)
    except DeviceError as e:
        print(_("tui-dl: train.device: {problem}").format(problem=e), file=sys.stderr)
        return EXIT_BAD_INPUT
    _say(_("device"), f"{device_text(describe_device(dev))}  [{dev}]")
    request = data_request(exp)
    _say(_("dataset"), describe(request["name"]))
    try:  # from this computer only: a dry run downloads nothing
        data = load_dataset(**{**request, "download": False, "fallback": None})
    except DataError as e:
        from tui_dl.core.data.base import downloadable

        can_download = request["download"] and downloadable(request["name"])
        if not e.recoverable or not (can_download or request["fallback"]):  # the run would stop here too
            print(f"tui-dl: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if can_download:
            _say("", _("not on this computer: the run would download it first (data.download is true)"))
        if request["fallback"]:
            _say("", _("if it cannot be had, the run falls back, loudly, to {fallback}").format(
                fallback=request["fallback"]))
        _say(_("plan"), ngettext("{epochs} epoch of batches of {batch_size} (steps per epoch known once the data is "
                                 "here)",
                                 "{epochs} epochs of batches of {batch_size} (steps per epoch known once the data is "
                                 "here)", exp.train.epochs).format(epochs=exp.train.epochs,
                                                                   batch_size=exp.train.batch_size))
        print(_("dry run: nothing was trained, downloaded or written."))
        return EXIT_OK
    val = len(data.val) if data.val is not None else 0
    _say("", _("{source}: {train:,} train / {val:,} val / {test:,} test").format(
        source=data.source, train=len(data.train), val=val, test=len(data.test)))
    try:
        plan = plan_run(exp, data, device=dev, summary=summary)
    except SetupError as e:
        print(f"tui-dl: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from tui_dl.core.runs import tensorboard as tb

    if (problem := tb.missing(exp.train.log_to)) is not None:  # the run would refuse to start
        print(f"tui-dl: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    t = exp.train
    step = {"plain": _("one step per batch"),
            "split": _("each batch split into {lanes} parallel parts").format(lanes=plan.lanes),
            "full_batch": _("full-batch gradient descent (the whole set per step)")}[plan.step]
    _say(_("plan"), ngettext("{epochs} epoch × {steps:,} steps of {batch_size:,} ({images:,} samples an epoch); "
                             "{step}",
                             "{epochs} epochs × {steps:,} steps of {batch_size:,} ({images:,} samples an epoch); "
                             "{step}", t.epochs).format(epochs=t.epochs, steps=plan.steps_per_epoch,
                                                        batch_size=plan.batch_size, images=plan.epoch_images,
                                                        step=step))
    cpu = (ngettext("{n} CPU thread", "{n} CPU threads", plan.threads).format(n=plan.threads) if dev.type == "cpu"
           else str(dev))
    layout = (_("channels-last on") if plan.channels_last else _("channels-last off"))
    _say("", _("{cpu}; {layout}; loss {loss}, optimizer {optimizer}; best.pt by {monitor} ({mode})").format(
        cpu=cpu, layout=layout, loss=t.loss.name, optimizer=t.optimizer.name, monitor=plan.monitor,
        mode=plan.monitor_mode))
    where = args.out or f"{args.runs_dir or 'runs'}/<name>-<timestamp>/"
    _say(_("run folder"), _("{where} (not created)").format(where=where))
    from tui_dl.core.training.events import notice_text

    for n in plan.notices:
        print(f"{n.level}: {notice_text(n)}", file=sys.stderr)
    print(_("dry run: nothing was trained or written."))
    return EXIT_OK
