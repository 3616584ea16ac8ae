"""``tui-dl lab NAME [options]``: the Learn labs headless. Text prints the worked numbers; ``--json`` prints the
shapes the README documents. Bad input gets one line naming the option, and exit code 2.

activations, softmax, conv, pool, backprop and losses never import torch; optimizers does (it races torch's own
optimizers). Each lab module is imported only when its lab runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from tui_dl.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from tui_dl.cli.help_format import CellHelpFormatter
from tui_dl.cli.parsing import LangParser
from tui_dl.core.i18n import N_, _

COURSE_CONV_INPUT = "0 1 2; 3 4 5; 6 7 8"
COURSE_CONV_KERNEL = "0 1; 2 3"
COURSE_POOL_INPUT = "1 3 2 4; 5 6 7 8; 3 2 1 0; 9 8 7 6"


class _UsageError(Exception):
    pass


class _Parser(LangParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", CellHelpFormatter)  # Chinese help wrapped by terminal cells
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, not argparse's usage block
        raise _UsageError(_("{message} (see {prog} --help)").format(message=message, prog=self.prog))


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for a in parser._actions if a.nargs != 0 for s in a.option_strings}


def _glue(argv: list[str], options: set[str]) -> list[str]:
    """``--at -2,0,2`` → ``--at=-2,0,2``: a value that starts with '-' is still the option's value."""
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in options and i + 1 < len(argv):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def _pair(text: str, option: str) -> int | tuple[int, int]:
    parts = [p for p in text.replace(" ", "").split(",") if p]
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        raise _UsageError(_("{option}: {text!r} is not a whole number (or a pair rows,columns like 2,1)").format(
            option=option, text=text)) from None
    if len(vals) == 1:
        return vals[0]
    if len(vals) == 2:
        return vals[0], vals[1]
    raise _UsageError(_("{option}: give one whole number or a pair rows,columns (got {text!r})").format(
        option=option, text=text))


def _padding(text: str):
    t = text.strip().lower()
    from tui_dl.core.labs.conv import PAD_NAMES

    return t if t in PAD_NAMES else _pair(t, "--padding")


def _finite(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def _emit(args, record, lines: list[str]) -> int:
    if args.json:
        print(json.dumps(_finite(record), indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines))
    return EXIT_OK


# ----------------------------------------------------------------------------- the labs


def _activations(args) -> int:
    from tui_dl.core.labs.activations import evaluate
    from tui_dl.core.labs.values import parse_vector

    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise _UsageError(_("--param: write KEY=VALUE, e.g. --param negative_slope=0.1 (got {item!r})").format(
                item=item))
        params[key.strip()] = value.strip()
    r = evaluate(args.fn, parse_vector(args.at, "at"), params)
    return _emit(args, r.to_json(), r.lines())


def _softmax(args) -> int:
    from tui_dl.core.labs.activations import softmax
    from tui_dl.core.labs.values import parse_vector

    r = softmax(parse_vector(args.input, "input"), args.temperature)
    return _emit(args, r.to_json(), r.lines())


def _conv(args) -> int:
    from tui_dl.core.labs.conv import conv2d
    from tui_dl.core.labs.values import parse_vector

    kernel = "||".join(args.kernel) if args.kernel else COURSE_CONV_KERNEL
    bias = parse_vector(args.bias, "bias") if args.bias is not None else None
    r = conv2d(args.input, kernel, stride=_pair(args.stride, "--stride"), padding=_padding(args.padding),
               dilation=_pair(args.dilation, "--dilation"), bias=bias)
    return _emit(args, r.to_json(), r.lines())


def _pool(args) -> int:
    from tui_dl.core.labs.conv import pool2d, pool_backward

    r = pool2d(args.input, _pair(args.size, "--size"),
               stride=None if args.stride is None else _pair(args.stride, "--stride"),
               padding=_padding(args.padding), dilation=_pair(args.dilation, "--dilation"), mode=args.mode)
    back = pool_backward(r, args.grad)
    record = r.to_json()
    if args.backward or args.grad is not None:
        record["backward"] = back.to_json()
    return _emit(args, record, r.lines() + back.lines())


def _backprop(args) -> int:
    from tui_dl.core.labs.backprop import autograd_check, backprop

    r = backprop(args.x, args.target, W1=args.W1, b1=args.b1, W2=args.W2, b2=args.b2, seed=args.seed,
                 activation=args.activation, loss=args.loss, lr=args.lr, output=args.output)
    record, lines = r.to_json(), r.lines()
    if args.check:
        diff = autograd_check(r)
        worst = max(diff.values())
        record["autograd_check"] = diff
        # TRANSLATORS: "ours" is the derivative the lab worked out by hand; {mark} is ✓ or ✗.
        lines.append(_("check with autograd (torch, float64): largest |ours − autograd| = {worst:.1e} {mark}").format(
            worst=worst, mark="✓" if worst < 1e-9 else "✗"))
    return _emit(args, record, lines)


def _losses(args) -> int:
    from tui_dl.core.labs.losses import loss_curves, losses

    r = losses(args.pred, args.target, args.gamma)
    record, lines = r.to_json(), r.lines()
    if args.curve:
        c = loss_curves(args.curve, args.gamma)
        record["curve"] = c.to_json()
        lines += c.lines(max(1, args.curve // 10))
    return _emit(args, record, lines)


def _lr_option(text: str | None):
    if text is None:
        return None
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise _UsageError(_("--lr: {text!r} is not a number (or NAME=VALUE pairs: adam=0.1,gd=0.01)").format(
                text=text)) from None
    out = {}
    for item in text.split(","):
        name, _sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise _UsageError(_("--lr: {item!r} is not NAME=NUMBER (e.g. adam=0.1)").format(item=item)) from None
    return out


def _floats(text: str, option: str, n: int) -> tuple[float, ...]:
    from tui_dl.core.labs.values import parse_vector

    vals = parse_vector(text, option.lstrip("-"))
    if len(vals) != n:
        raise _UsageError(_("{option}: give {n} numbers separated by a comma (got {text!r})").format(
            option=option, n=n, text=text))
    return tuple(float(v) for v in vals)


def _optimizers(args) -> int:
    from tui_dl.core.labs.optimizers import OPTIMIZERS, race

    only = [o.strip() for o in args.only.split(",") if o.strip()] if args.only else None
    lr = _lr_option(args.lr)
    if isinstance(lr, dict):
        bad = [k for k in lr if k not in OPTIMIZERS]
        if bad:
            raise _UsageError(_("--lr: unknown optimizer {name!r}; choose from {choices}").format(
                name=bad[0], choices=", ".join(OPTIMIZERS)))
    r = race(args.surface, args.steps, optimizers=only, variant=args.variant,
             start=_floats(args.start, "--start", 2) if args.start else None, lr=lr, momentum=args.momentum,
             gamma=args.gamma, betas=_floats(args.betas, "--betas", 2), noise=args.noise, seed=args.seed,
             tol=args.tol)
    return _emit(args, r.to_json(), r.lines(args.show_step))


# ----------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tui-dl lab", description=_("The Learn labs: the course's ideas worked out on small numbers."))
    sub = p.add_subparsers(dest="lab", metavar="NAME", required=True, parser_class=_Parser)

    def lab(name: str, help_: str, fn):
        sp = sub.add_parser(name, help=_(help_), description=_(help_))
        sp.add_argument("--json", action="store_true", help=_("machine-readable output (shapes in the README)"))
        sp.set_defaults(run=fn)
        return sp

    a = lab("activations", N_("f(x) and f′(x) of an activation at some points, and where it saturates"), _activations)
    a.add_argument("--fn", default="sigmoid", help=_("sigmoid, tanh, relu, leakyrelu, elu, gelu, silu, softplus"))
    a.add_argument("--at", default="-2,-1,0,1,2", help=_("the x values, e.g. -2,0,2"))
    a.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help=_("an argument of the activation, e.g. negative_slope=0.1 (repeatable)"))
    s = lab("softmax", N_("softmax of a vector, with a temperature"), _softmax)
    s.add_argument("--input", default="1 2 3", help=_('the scores, e.g. "1 2 3"'))
    s.add_argument("--temperature", type=float, default=1.0, help=_("T > 0 (default 1): softmax(x/T)"))
    c = lab("conv", N_("2-D convolution by hand: every window's multiply-adds and the output-size formula"), _conv)
    c.add_argument("--input", default=COURSE_CONV_INPUT,
                   help=_("rows split by ';', channels by '|' (default: the course's example)"))
    c.add_argument("--kernel", action="append", help=_("a filter, its channels split by '|'; repeat for more filters"))
    c.add_argument("--bias", help=_("one bias per filter"))
    c.add_argument("--stride", default="1", help=_("S, or rows,columns"))
    c.add_argument("--padding", default="0", help=_("P, rows,columns, narrow, same or wide"))
    c.add_argument("--dilation", default="1", help=_("D, or rows,columns"))
    q = lab("pool", N_("max or average pooling by hand, and max pooling's backward pass"), _pool)
    q.add_argument("--input", default=COURSE_POOL_INPUT, help=_("rows split by ';', channels by '|'"))
    q.add_argument("--size", default="2", help=_("the window, K or rows,columns (default 2)"))
    q.add_argument("--stride", help=_("default: the size"))
    q.add_argument("--padding", default="0", help=_("P or rows,columns (at most half the window)"))
    q.add_argument("--dilation", default="1", help=_("max pooling only"))
    q.add_argument("--mode", default="max", help=_("max or avg"))
    q.add_argument("--grad", help=_("∂L/∂y for the backward pass, shaped like the output (default all ones)"))
    q.add_argument("--backward", action="store_true", help=_("with --json: add the backward pass"))
    b = lab("backprop", N_("one step of backpropagation on the course's 2-3-1 network"), _backprop)
    b.add_argument("--seed", type=int, default=0, help=_("draws the weights (uniform in [-1, 1], 2 decimals)"))
    b.add_argument("--activation", default="sigmoid", help=_("sigmoid, relu, tanh (any activation of the lab)"))
    b.add_argument("--loss", default="mse", help=_("mse (½·(y − t)²) or bce (on a sigmoid output)"))
    b.add_argument("--lr", type=float, default=0.5, help=_("learning rate η (default 0.5)"))
    b.add_argument("--output", help=_("linear: no activation on the output unit"))
    b.add_argument("--x", help=_('the input, two numbers (default "1 0.5")'))
    b.add_argument("--target", help=_("the target (default 1)"))
    for name, help_ in (("W1", N_("3 rows of 2 (default: drawn from --seed)")),
                        ("b1", N_("3 numbers (default: drawn from --seed)")),
                        ("W2", N_("1 row of 3 (default: drawn from --seed)")),
                        ("b2", N_("1 number (default: drawn from --seed)"))):
        b.add_argument(f"--{name}", help=_(help_))
    b.add_argument("--check", action="store_true", help=_("compare every derivative with torch autograd"))
    ls = lab("losses", N_("MSE, MAE, cross-entropy, BCE and focal loss with their gradients"), _losses)
    ls.add_argument("--pred", default="0.7 0.2 0.1", help=_('the prediction, e.g. "0.7 0.2 0.1"'))
    ls.add_argument("--target", default="0", help=_("one target per prediction, or one class index"))
    ls.add_argument("--gamma", type=float, default=2.0, help=_("focal loss γ (default 2)"))
    ls.add_argument("--curve", type=int, default=0, metavar="N", help=_("add each loss at N probabilities of the "
                                                                        "true class"))
    o = lab("optimizers", N_("GD, SGD, momentum, AdaGrad, RMSProp and Adam racing on a 2-D surface"), _optimizers)
    o.add_argument("--surface", default="rosenbrock", help=_("bowl, rosenbrock, saddle, minima or quadratic:A,B"))
    o.add_argument("--steps", type=int, default=100, help=_("updates per optimizer (default 100)"))
    o.add_argument("--lr", help=_("one learning rate for all, or NAME=VALUE pairs (default: the surface's own)"))
    o.add_argument("--start", help=_("x,y (default: the surface's)"))
    o.add_argument("--momentum", type=float, default=0.9, help=_("momentum β (default 0.9)"))
    o.add_argument("--gamma", type=float, default=0.9, help=_("RMSProp γ (default 0.9)"))
    o.add_argument("--betas", default="0.9,0.999", help=_("Adam β₁,β₂"))
    o.add_argument("--noise", type=float, default=1.0, help=_("SGD's gradient noise σ (default 1)"))
    o.add_argument("--seed", type=int, default=0, help=_("seeds SGD's noise"))
    o.add_argument("--tol", type=float, default=1e-3, help=_("reached the minimum when f ≤ tol (default 1e-3)"))
    o.add_argument("--only", help=_("a comma-separated subset: gd,sgd,momentum,adagrad,rmsprop,adam"))
    o.add_argument("--variant", default="torch", help=_("torch (torch.optim), textbook (the course's rules) or both"))
    o.add_argument("--show-step", type=int, help=_("show the update rules at this step (default: the last)"))
    return p


def lab_main(argv: list[str]) -> int:
    parser = build_parser()
    options = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in action.choices.values():
                options |= _value_options(sp)
    argv = _glue(list(argv), options)
    name = next((a for a in argv if not a.startswith("-")), "lab")
    prefix = f"tui-dl lab {name}" if name != "lab" else "tui-dl lab"
    from tui_dl.core.labs.values import LabError
    from tui_dl.core.labs import LABS

    if name != "lab" and name not in LABS:
        print(_("tui-dl lab: unknown lab {name!r}; choose one of {choices}").format(name=name, choices=", ".join(LABS)),
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except _UsageError as e:
        print(f"{prefix}: {e}", file=sys.stderr)
    except LabError as e:
        where = f"--{e.field}: " if e.field else ""
        print(f"{prefix}: {where}{e.message}", file=sys.stderr)
    return EXIT_BAD_INPUT
