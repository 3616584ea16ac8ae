"""``tui-dl predict RUN_OR_CKPT IMAGE... [--top 3] [--json]`` (or ``--idx FILE --index N``): the trained network's
top classes for each image, with their probabilities. Images are converted and resized to the network's input as
the image-folder dataset does (:mod:`tui_dl.core.predict`). A run folder uses its best.pt (else last.pt)."""

from __future__ import annotations

import argparse
import json
import sys

from tui_dl.cli.exit_codes import EXIT_OK
from tui_dl.cli.parsing import Parser, fail
from tui_dl.core.i18n import _, rjust, text_width

PROG = "tui-dl predict"
BAR = 20


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG,
               description=_("Classify images with a trained model: the top classes and their probabilities. "
                             "PNG/JPEG (or any image PIL reads) are turned grey or RGB and resized to the network's "
                             "input as in training; --idx reads one image of an IDX file."))
    p.add_argument("source", metavar="RUN_OR_CKPT", help=_("a run folder (its best.pt, else last.pt) or a .pt file"))
    p.add_argument("images", nargs="*", metavar="IMAGE", help=_("image files"))
    p.add_argument("--idx", metavar="FILE", help=_("an IDX images file (e.g. t10k-images-idx3-ubyte.gz)"))
    p.add_argument("--index", type=int, action="append", metavar="N",
                   help=_("which image of the --idx file (from 0; repeatable; default 0)"))
    p.add_argument("--top", type=int, default=3, metavar="K", help=_("how many classes to show (default 3)"))
    p.add_argument("--invert", action="store_true",
                   help=_("invert the pixels first (dark digits on white paper, for a model trained on MNIST's "
                          "white-on-black)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    return p


def _text(pred) -> list[str]:
    i, name, v = pred.top[0]
    head = f"{pred.source}: {name}" + (f"  ({100 * v:.1f}%)" if pred.kind == "probability"
                                       else "  " + _("(score {score:.3g})").format(score=v))
    lines = [head]
    width = max(text_width(n) for _i, n, _v in pred.top)
    for i, name, v in pred.top:
        if pred.kind == "probability":
            fill = "█" * round(BAR * max(0.0, min(1.0, v)))
            lines.append(f"  {rjust(name, width)}  {100 * v:6.2f}%  {fill}")
        else:
            lines.append(f"  {rjust(name, width)}  {v:10.4g}")
    return lines


def predict_main(argv: list[str]) -> int:
    args = build_parser().parse_intermixed_args(argv)  # images may come before or after the options
    if args.top < 1:
        return fail(PROG, _("--top {top}: give 1 or more").format(top=args.top))
    if not args.images and not args.idx:
        return fail(PROG, _("give one or more image files, or --idx FILE --index N (see tui-dl predict --help)"))
    if args.index is not None and not args.idx:
        return fail(PROG, _("--index picks an image of an --idx file; give --idx FILE too"))
    try:
        import torch

        from tui_dl.core.export import ExportError, load_trained
        from tui_dl.core.predict import predict, read_idx_image, read_image
    except (ImportError, OSError) as e:
        return fail(PROG, _("PyTorch could not be loaded ({error}: {why})").format(error=type(e).__name__, why=e))
    try:
        trained = load_trained(args.source)
        xs, names = [], []
        for path in args.images:
            xs.append(read_image(path, trained, invert=args.invert))
            names.append(path)
        if args.idx:
            for n in args.index or [0]:
                xs.append(read_idx_image(args.idx, n, trained, invert=args.invert))
                names.append(f"{args.idx}[{n}]")
        preds = predict(trained, torch.stack(xs), names, top=args.top)
    except ExportError as e:
        return fail(PROG, str(e))
    if args.json:
        print(json.dumps({"model": str(trained.checkpoint), "predictions": [p.to_json() for p in preds]},
                         indent=2, ensure_ascii=False))
        return EXIT_OK
    print(_("{name} ({source})").format(name=trained.name, source=source_text(trained)), file=sys.stderr)
    draw = sys.stdout.isatty()  # a picture only for a person at a terminal; pipes get the text alone
    for p, x in zip(preds, xs):
        if draw:
            print("\n".join(picture_lines(x)))
        print("\n".join(_text(p)))
    return EXIT_OK


def source_text(trained) -> str:
    """The checkpoint the model was read from, with its epoch when known (``Trained.source_text``, translated)."""
    if trained.epoch is None:
        return str(trained.checkpoint)
    return _("{checkpoint}, epoch {epoch}").format(checkpoint=trained.checkpoint, epoch=trained.epoch)


def picture_lines(x, width: int = 28) -> list[str]:
    """The image (uint8 or [0, 1] float, [C, H, W]) drawn with half blocks, at most ``width`` columns wide."""
    from tui_dl.cli.ansi import ansi_lines
    from tui_dl.core import pictures
    from tui_dl.core.insight.gallery import image_rows

    rows = image_rows(x)
    return ansi_lines(pictures.half_blocks(rows, min(width, len(rows[0]))))
