"""``tui-dl attack RUN1 RUN2 ... --method fgsm,pgd``: accuracy against ε of several runs under several attacks,
side by side, so a student sees the trade of adversarial training (clean accuracy against robustness) and
whether a run that looks robust to FGSM is broken by PGD (gradient masking, :mod:`tui_dl.core.insight.robustness`).

Each run's curves are written into its folder as ``attack-<method>.json`` (the object ``tui-dl attack RUN
--method M --json`` prints); ``--json`` prints them all in one object. torch loads only once the options are valid.
"""

from __future__ import annotations

import json
import string
import sys

from tui_dl.cli.columns import aligned
from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from tui_dl.core.i18n import _, pgettext

PROG = "tui-dl attack"
_NAMES = {"fgsm": "FGSM", "pgd": "PGD"}


def compare_main(args, eps: list[float], usage_error) -> int:
    """Attack every run in ``args.run`` with every method in ``args.methods`` at each ε."""
    from tui_dl.core.data import DataError
    from tui_dl.core.device import DeviceError, resolve_device
    from tui_dl.core.insight.attacks import accuracy_vs_eps
    from tui_dl.core.insight.model_io import CheckpointError, load_trained
    from tui_dl.core.runs.atomic import atomic_write

    if len(args.run) > len(string.ascii_uppercase):
        raise usage_error(_("at most {n} runs at once").format(n=len(string.ascii_uppercase)))
    try:
        device = resolve_device(args.device)
    except DeviceError as e:
        raise usage_error(_("{option}: {message}").format(option="--device", message=e)) from None
    trained = []
    for run in args.run:
        try:
            trained.append(load_trained(run, device=device))
        except (CheckpointError, DataError) as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
    pgd = dict(steps=args.steps or 10, step_size=args.step_size, random_start=not args.no_random_start)
    results = []
    for t in trained:
        curves = {}
        for m in args.methods:
            curves[m] = accuracy_vs_eps(t, eps, method=m, limit=args.limit, batch_size=args.batch_size,
                                        seed=args.seed, **pgd)
        results.append((t, curves))
    obj = comparison_json(results)
    if args.json:
        print(json.dumps(obj))
    else:
        print("\n".join(comparison_table(results, eps)))
    rc = EXIT_OK
    for t, curves in results:
        for m, curve in curves.items():
            out = t.run_dir / f"attack-{m}.json"
            try:
                atomic_write(out, lambda f, c=curve: f.write(json.dumps(c.to_json(), indent=1) + "\n"))
            except OSError as e:
                print(_("{prog}: could not write {path}: {error}").format(prog=PROG, path=out, error=e.strerror or e),
                      file=sys.stderr)
                rc = EXIT_FAILED
    if not args.json and rc == EXIT_OK:
        print(_("wrote {paths}").format(paths=", ".join(f"{t.run_dir}/attack-{_names(c)}.json" for t, c in results)))
    return rc


def _names(methods) -> str:
    """``fgsm`` for one method, ``{fgsm,pgd}`` (the shell's brace form) for several."""
    methods = list(methods)
    return methods[0] if len(methods) == 1 else "{" + ",".join(methods) + "}"


def _masking(curves):
    from tui_dl.core.insight.robustness import gradient_masking

    if "fgsm" not in curves or "pgd" not in curves:
        return []
    f, p = curves["fgsm"], curves["pgd"]
    return gradient_masking(f.eps, f.accuracy, p.accuracy)


def _training_eps(t) -> float | None:
    """The ε the run was adversarially trained against (train.adversarial), or None."""
    exp = getattr(t, "experiment", None)
    adv = getattr(getattr(exp, "train", None), "adversarial", None)
    return None if adv is None else float(adv.eps)


def comparison_json(results) -> dict:
    from tui_dl.core.insight.attack_settings import CONVENTION
    from tui_dl.core.insight.robustness import MADRY_REFERENCE

    from tui_dl.core.insight.robustness import split_at_training_eps

    def found(t, curves):
        within, _beyond = split_at_training_eps(_masking(curves), _training_eps(t))
        return [{"eps": m.eps, "fgsm": m.fgsm, "pgd": m.pgd} for m in within]

    return {"runs": [{"run": str(t.run_dir), "adversarial_training_eps": _training_eps(t),
                      "curves": {m: c.to_json() for m, c in curves.items()}, "gradient_masking": found(t, curves)}
                     for t, curves in results],
            "reference": MADRY_REFERENCE, "convention": CONVENTION}


def comparison_table(results, eps: list[float]) -> list[str]:
    """The text: a legend (A = run ...), one row per ε with a column per run and method, then the findings."""
    from tui_dl.core.insight.attack_settings import CONVENTION
    from tui_dl.core.insight.robustness import (MADRY_REFERENCE, MASKING_GAP, beyond_training_line, masking_line,
                                                split_at_training_eps)

    letters = string.ascii_uppercase
    lines = []
    for k, (t, curves) in enumerate(results):
        n = next(iter(curves.values())).n
        if n != t.n_test:
            legend = _("{letter} = {run}  ({description}; attacked: the first {n:,})")
        else:
            legend = _("{letter} = {run}  ({description})")
        lines.append(legend.format(letter=letters[k], run=t.run_dir, description=t.describe(), n=n))
    some = next(iter(results[0][1].values()))
    pgd = next((c for _t, cs in results for m, c in cs.items() if m == "pgd"), None)
    if pgd is not None:
        size = f"{pgd.step_size:g}" if pgd.step_size is not None else _("2.5·ε/steps")
        if pgd.random_start:
            text = _("PGD: {steps} steps of {size}, random start; ε in pixel units")
        else:
            text = _("PGD: {steps} steps of {size}, no random start; ε in pixel units")
        lines.append(text.format(steps=pgd.steps, size=size))
    lines.append("")
    head = ["ε"] + [f"{letters[k]} {_NAMES[m]}" for k, (_t, cs) in enumerate(results) for m in cs]
    rows = [head]
    for i, e in enumerate(some.eps):
        rows.append([f"{e:.3f}"] + [f"{100 * c.accuracy[i]:.2f}%" for _t, cs in results for c in cs.values()])

    lines += aligned(rows)
    lines.append("")
    said = edge = False
    for k, (t, curves) in enumerate(results):
        train_eps = _training_eps(t)
        within, beyond = split_at_training_eps(_masking(curves), train_eps)
        text = masking_line(f"{letters[k]}", within)
        if text:
            lines.append(text)
            said = True
        if train_eps is not None and beyond_training_line(letters[k], train_eps, beyond):
            lines.append(beyond_training_line(letters[k], train_eps, beyond))
            edge = True
    if len(results) > 1:
        lines += _trade(results)
    if not said and edge:
        lines.append(_("no gradient masking up to the ε each run was trained for (PGD is the stronger attack; its "
                       "column is the one to trust)"))
    elif not said and all("fgsm" in cs and "pgd" in cs for _t, cs in results):
        lines.append(_("no gradient masking: at every ε, FGSM accuracy is less than {gap:.0f} points above PGD "
                       "accuracy (PGD is the stronger attack; its column is the one to trust)").format(
            gap=100 * MASKING_GAP))
    lines += [_("reference: {reference}").format(reference=_(MADRY_REFERENCE)), _(CONVENTION)]
    return lines


def _trade(results) -> list[str]:
    """Clean accuracy against accuracy under the strongest attack at the largest ε, per run."""
    letters = string.ascii_uppercase
    parts = []
    for k, (_t, curves) in enumerate(results):
        strongest = curves.get("pgd") or next(iter(curves.values()))
        clean = strongest.clean_accuracy
        top = max(range(len(strongest.eps)), key=lambda i: strongest.eps[i])
        values = dict(letter=letters[k], clean=100 * clean, accuracy=100 * strongest.accuracy[top],
                      method=_NAMES[strongest.method], eps=strongest.eps[top])
        if clean == clean:  # not NaN
            parts.append(_("{letter} {clean:.2f}% clean → {accuracy:.2f}% under {method} at ε = {eps:g}")
                         .format(**values))
        else:
            parts.append(_("{letter} {accuracy:.2f}% under {method} at ε = {eps:g}").format(**values))
    # TRANSLATORS: between the runs' clauses of "the trade: A ...; B ..." (Chinese: a full-width semicolon).
    return [_("the trade: {parts}").format(parts=pgettext("list separator", "; ").join(parts))]
