"""``tui-dl attack RUN_OR_CKPT``: adversarial examples on a trained run, headless.

``--eps 0,0.05,...`` prints accuracy against ε (FGSM, or ``--method pgd``; ``--target K`` makes it say K) and
writes ``attack.json`` into the run folder (``{"eps": [...], "accuracy": [...], "n": N, ...}``, the object
``--json`` prints). ``--show I`` attacks test image I alone and draws it, the sign of the perturbation and the
adversarial image with half blocks on a terminal (characters elsewhere), with both predictions.

Bad input gets one line naming the option or path, and exit code 2. torch loads only once the options are valid.
"""

from __future__ import annotations

import argparse
import json
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from tui_dl.cli.columns import aligned
from tui_dl.cli.help_format import CellHelpFormatter
from tui_dl.cli.parsing import LangParser
from tui_dl.cli.style import color_for
from tui_dl.core.i18n import _

PROG = "tui-dl attack"
SHOW_EPS = 0.1  # --show without --eps


class _UsageError(Exception):
    pass


class _Parser(LangParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", CellHelpFormatter)  # Chinese help wrapped by terminal cells
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, not argparse's usage block
        raise _UsageError(_("{message} (see {prog} --help)").format(message=message, prog=self.prog))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=_(
        "Attack a trained model: accuracy against ε over the test set (FGSM, or PGD), written to attack.json in "
        "the run folder; or one image before and after (--show). ε is in pixel units: images in [0, 1] before "
        "normalisation. Images the model already gets wrong count as failures; the attack uses the true labels. "
        "Exit 0 ok, 1 when attack.json could not be written, 2 bad input."))
    p.add_argument("run", metavar="RUN_OR_CKPT", nargs="+",
                   help=_("a run folder (its last.pt) or a checkpoint such as RUN/best.pt; several runs: their curves "
                          "side by side (e.g. a plain and an adversarially trained run)"))
    p.add_argument("--eps", help=_("comma-separated ε in [0, 1] (default 0,0.05,0.1,0.15,0.2,0.25,0.3; "
                                   "with --show one value, default {show_eps})").format(show_eps=SHOW_EPS))
    method = p.add_argument("--method", default="fgsm",
                            help=_("fgsm: one signed-gradient step; pgd: --steps projected steps (iterative FGSM); "
                                   "fgsm,pgd: both side by side, with a warning when FGSM accuracy is far above PGD's "
                                   "(gradient masking)"))
    method.completion_choices = ("fgsm", "pgd", "fgsm,pgd")  # what `tui-dl completion` offers (not argparse choices)
    p.add_argument("--steps", type=int, help=_("PGD steps (default 10)"))
    p.add_argument("--step-size", type=float, help=_("PGD step in pixel units (default 2.5·ε/steps)"))
    p.add_argument("--no-random-start", action="store_true", help=_("PGD starts at the image, not a random point"))
    p.add_argument("--target", help=_("a targeted attack: make the model say this class (index or name)"))
    p.add_argument("--limit", type=int, help=_("attack only the first N test images"))
    p.add_argument("--show", type=int, metavar="I", help=_("attack test image I alone and draw it"))
    p.add_argument("--batch-size", type=int, default=500, help=_("images per batch (default 500)"))
    p.add_argument("--device", default="auto", help=_("auto, cpu, cuda, cuda:N or mps (default auto)"))
    p.add_argument("--seed", type=int, default=0, help=_("seed of PGD's random start (default 0)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON (the same object as attack.json)"))
    return p


def _options(args) -> list[float]:
    """Check the options that need no model; returns the ε list."""
    from tui_dl.core.insight.attack_settings import DEFAULT_EPS, parse_eps

    try:
        eps = parse_eps(args.eps) if args.eps is not None else ([SHOW_EPS] if args.show is not None
                                                                 else list(DEFAULT_EPS))
    except ValueError as e:
        raise _UsageError(_("{option}: {message}").format(option="--eps", message=e)) from None
    methods = [m.strip() for m in args.method.split(",")]
    bad = next((m for m in methods if m not in ("fgsm", "pgd")), None)
    if bad is not None or len(set(methods)) != len(methods):
        raise _UsageError(_("--method: invalid choice {value!r} (choose from fgsm, pgd, or both: fgsm,pgd)").format(
            value=args.method))
    args.methods = methods
    args.compare = len(methods) > 1 or len(args.run) > 1
    if args.compare and (args.show is not None or args.target is not None):
        raise _UsageError(_("{option} attacks one run with one method; give one RUN and one --method").format(
            option="--show" if args.show is not None else "--target"))
    if not args.compare:
        args.run, args.method = args.run[0], methods[0]
    if args.show is not None and len(eps) != 1:
        raise _UsageError(_("--eps: --show draws one ε, not {n} (e.g. --show {index} --eps 0.1)").format(
            n=len(eps), index=args.show))
    if "pgd" not in methods:
        for opt, val in (("--steps", args.steps), ("--step-size", args.step_size)):
            if val is not None:
                raise _UsageError(_("{option} applies to --method pgd only").format(option=opt))
        if args.no_random_start:
            raise _UsageError(_("{option} applies to --method pgd only").format(option="--no-random-start"))
    if args.steps is not None and not 1 <= args.steps <= 10_000:
        raise _UsageError(_("--steps: {value} is not between 1 and 10000").format(value=args.steps))
    if args.step_size is not None and not 0 < args.step_size <= 1:
        raise _UsageError(_("--step-size: {value} is not in (0, 1] (pixel units)").format(value=args.step_size))
    if args.limit is not None and args.limit < 1:
        raise _UsageError(_("--limit: {value} is not a positive number of images").format(value=args.limit))
    if not 1 <= args.batch_size <= 1_000_000:
        raise _UsageError(_("--batch-size: {value} is not between 1 and 1000000").format(value=args.batch_size))
    if args.show is not None and args.show < 0:
        raise _UsageError(_("--show: {value} is not an image index (0, 1, 2, ...)").format(value=args.show))
    return eps


def _target(text: str | None, classes: list[str]) -> int | None:
    if text is None:
        return None
    if text in classes:
        return classes.index(text)
    try:
        k = int(text)
    except ValueError:
        k = -1
    if not 0 <= k < len(classes):
        raise _UsageError(_("--target: {text!r} is not a class of this run: give 0 to {last} or a name ({names})")
                          .format(text=text, last=len(classes) - 1, names=", ".join(classes)))
    return k


def _progress(stream):
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        text = _("batch {done}/{total}").format(done=done, total=total)
        stream.write(f"\r  {text}" + ("\r\x1b[K" if done == total else ""))
        stream.flush()
    return show


def attack_main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
        eps = _options(args)
        if args.compare:
            from tui_dl.cli.attack_compare import compare_main

            return compare_main(args, eps, _UsageError)
        return _run(args, eps)
    except _UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args, eps: list[float]) -> int:
    from tui_dl.core.data import DataError
    from tui_dl.core.device import DeviceError, resolve_device
    from tui_dl.core.insight.model_io import CheckpointError, load_trained

    try:
        device = resolve_device(args.device)
    except DeviceError as e:
        raise _UsageError(_("{option}: {message}").format(option="--device", message=e)) from None
    try:
        trained = load_trained(args.run, device=device)
    except (CheckpointError, DataError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = _target(args.target, trained.classes)
    pgd = dict(steps=args.steps or 10, step_size=args.step_size, random_start=not args.no_random_start)
    if args.show is not None:
        try:
            trained.check_index(args.show)
        except ValueError as e:
            raise _UsageError(_("{option}: {message}").format(option="--show", message=e)) from None
        return _show(trained, args, eps[0], target, pgd)
    return _curve(trained, args, eps, target, pgd)


# ----------------------------------------------------------------------------- accuracy against ε


def _eps_std_text(e: float, std) -> str:
    from tui_dl.core.insight.attack_settings import eps_over_std

    vals = eps_over_std(e, std)
    lo, hi = min(vals), max(vals)
    return f"{lo:.3f}" if abs(hi - lo) < 5e-4 else f"{lo:.3f}-{hi:.3f}"


def _table_rows(trained, curve) -> list[list[str]]:
    # TRANSLATORS: a column: the share of the images the targeted attack made the model call this class.
    said = [_("said {name}").format(name=trained.class_name(curve.target))] if curve.target is not None else []
    rows = [["ε", "ε/σ", _("accuracy")] + said]
    for k, e in enumerate(curve.eps):
        row = [f"{e:.3f}", _eps_std_text(e, trained.std), f"{100 * curve.accuracy[k]:.2f}%"]
        if curve.target is not None:
            row.append(f"{100 * curve.target_rate[k]:.2f}%")
        rows.append(row)
    return rows


def curve_table(trained, curve) -> list[str]:
    """The text the table mode prints (without the 'wrote' line)."""
    from tui_dl.core.insight.attack_settings import CONVENTION

    what = "FGSM" if curve.method == "fgsm" else pgd_text(curve)
    if curve.target is not None:
        what = _("{attack}, targeted: make it say {name}").format(attack=what, name=trained.class_name(curve.target))
    sigma = ", ".join(f"{s:.4f}" for s in trained.std) or _("none (no normalisation)")
    if curve.n == trained.n_test:
        scope = _("{attack} on all {n:,} test images; ε in pixel units (images in [0, 1]), σ = {sigma}")
    else:
        scope = _("{attack} on the first {n:,} test images; ε in pixel units (images in [0, 1]), σ = {sigma}")
    lines = [trained.describe(), scope.format(attack=what, n=curve.n, sigma=sigma), ""]
    lines += aligned(_table_rows(trained, curve))
    lines += ["", _(CONVENTION)]
    if curve.target is not None:
        lines.append(_("'said {name}': the share of the images of other classes that the model calls {name}.").format(
            name=trained.class_name(curve.target)))
    return lines


def pgd_text(curve) -> str:
    """``PGD, 10 steps of 2.5·ε/steps, random start`` (in the language spoken)."""
    size = f"{curve.step_size:g}" if curve.step_size is not None else _("2.5·ε/steps")
    if curve.random_start:
        return _("PGD, {steps} steps of {size}, random start").format(steps=curve.steps, size=size)
    return _("PGD, {steps} steps of {size}, no random start").format(steps=curve.steps, size=size)


def _curve(trained, args, eps, target, pgd) -> int:
    from tui_dl.core.insight.attacks import accuracy_vs_eps
    from tui_dl.core.runs.atomic import atomic_write

    curve = accuracy_vs_eps(trained, eps, method=args.method, target=target, limit=args.limit,
                            batch_size=args.batch_size, seed=args.seed, progress=_progress(sys.stderr), **pgd)
    obj = curve.to_json()
    if args.json:
        print(json.dumps(obj))
    else:
        print("\n".join(curve_table(trained, curve)))
    out = trained.run_dir / "attack.json"
    try:
        atomic_write(out, lambda f: f.write(json.dumps(obj, indent=1) + "\n"))
    except OSError as e:
        print(_("{prog}: could not write {path}: {error}").format(prog=PROG, path=out, error=e.strerror or e),
              file=sys.stderr)
        return EXIT_FAILED
    if not args.json:
        print(_("wrote {path}  ({seconds:.1f} s)").format(path=out, seconds=curve.seconds))
    return EXIT_OK


# ----------------------------------------------------------------------------- one image


def _pictures(ex, color: bool, width: int | None) -> list[str]:
    from tui_dl.core import pictures as P
    from tui_dl.core.i18n import ljust, truncate
    from tui_dl.core.insight.gallery import image_rows

    orig, adv = image_rows(ex.original), image_rows(ex.adversarial)
    grey = ex.sign.shape[0] == 1
    if grey:
        sign = P.signs_rgb(ex.sign[0].tolist(), ex.cut[0].tolist())
    else:
        sign = image_rows((ex.sign + 1) / 2)
    w = len(orig[0])
    titles = [_("original"), _("perturbation sign"), _("adversarial, ε={eps:g}").format(eps=ex.eps)]
    if color:
        from tui_dl.cli.ansi import ansi_lines

        grid = P.side_by_side([P.half_blocks(im, width) for im in (orig, sign, adv)], gap=3)
        body = ansi_lines(grid)
    else:
        signs = P.sign_chars(ex.sign[0].tolist(), ex.cut[0].tolist()) if grey and width is None else \
            P.shade_rows(sign, width)
        cols = [P.shade_rows(orig, width), signs, P.shade_rows(adv, width)]
        body = ["   ".join(parts) for parts in zip(*cols)]
    cw = width or w
    head = "   ".join(ljust(truncate(t, cw, ellipsis=""), cw) for t in titles)
    return [head, *body]


def _show(trained, args, e: float, target, pgd) -> int:
    from tui_dl.core.insight.attacks import CONVENTION, example, smallest_eps

    ex = example(trained, args.show, e, method=args.method, target=target, seed=args.seed, **pgd)
    flip = smallest_eps(trained, [args.show], method=args.method, steps=pgd["steps"],
                        random_start=False)[0] if target is None else None
    name = trained.class_name
    if args.json:
        print(json.dumps({"index": ex.index, "true": ex.true, "eps": ex.eps, "method": ex.method, "target": target,
                          "before": {"class": ex.before, "confidence": ex.before_confidence},
                          "after": {"class": ex.after, "confidence": ex.after_confidence},
                          "fooled": ex.fooled, "cut_pixels": ex.cut_pixels, "pixels": int(ex.cut.numel()),
                          "smallest_eps": flip, "probs_before": ex.probs_before, "probs_after": ex.probs_after}))
        return EXIT_OK
    color = color_for(sys.stdout)
    h, w = ex.original.shape[1:]
    lines = [trained.describe(), _("test image {index}: true class {name}").format(index=ex.index, name=name(ex.true)),
             ""]
    lines += _pictures(ex, color, None if w <= 32 else 32)
    verdict = (_("fooled") if ex.fooled else _("not fooled")) if ex.before == ex.true or target is not None else \
        _("already wrong before the attack")
    if color and ex.sign.shape[0] == 1:
        cut = _("the clamp to [0, 1] cut the step at {cut} of {total} pixel values (sign picture: red +ε, blue −ε, "
                "dim where the clamp cut the step)")
    else:
        cut = _("the clamp to [0, 1] cut the step at {cut} of {total} pixel values")
    lines += ["", _("before: {before} ({before_confidence:.1f}%)   after {method} at ε = {eps:g}: {after} "
                    "({after_confidence:.1f}%)   {verdict}").format(
                  before=name(ex.before), before_confidence=100 * ex.before_confidence, method=ex.method.upper(),
                  eps=ex.eps, after=name(ex.after), after_confidence=100 * ex.after_confidence, verdict=verdict),
              cut.format(cut=ex.cut_pixels, total=ex.cut.numel())]
    if target is None:
        value = (_("already wrong at ε = 0") if flip == 0 else f"{flip:.4f}" if flip is not None
                 else _("none up to 1"))
        lines.append(_("smallest ε that flips it ({method}): {value}").format(method=ex.method.upper(), value=value))
    lines.append(_(CONVENTION))
    print("\n".join(lines))
    return EXIT_OK
