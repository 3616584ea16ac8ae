"""``tui-dl export RUN_OR_CKPT --format state_dict|torchscript|onnx|py [-o FILE]``: the trained model as a file
plain PyTorch (or any ONNX runtime) loads without tui-dl, with ``<file>.txt`` beside it (the input it expects,
the output, the layer table). A run folder exports its best.pt (else last.pt). Bad input: one line, exit 2."""

from __future__ import annotations

import argparse
import sys

from tui_dl.cli.exit_codes import EXIT_OK
from tui_dl.cli.parsing import Parser, fail
from tui_dl.cli.predict import source_text
from tui_dl.core.i18n import _

FORMATS = ("state_dict", "torchscript", "onnx", "py")  # = tui_dl.core.export.FORMATS (that module loads torch)
PROG = "tui-dl export"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog=PROG,
               description=_("Export a trained model. torchscript, onnx and py take images in [0, 1] shaped "
                             "[N, *input_shape], do the normalisation inside and return logits; state_dict holds "
                             "the weights with mean/std, input shape and class names. A text file with the input, "
                             "the output and the layer table is written beside the export."))
    p.add_argument("source", metavar="RUN_OR_CKPT", help=_("a run folder (its best.pt, else last.pt) or a .pt file"))
    p.add_argument("--format", "-f", required=True, choices=FORMATS, help=_("state_dict, torchscript, onnx or py"))
    p.add_argument("-o", "--output", metavar="FILE",
                   help=_("the file (or folder) to write; default <name>.pt / .torchscript.pt / .onnx / .py here"))
    return p


def export_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from tui_dl.core.export import ExportError, export_model, load_trained
        from tui_dl.core.paths import PathProblem, expand_user
    except (ImportError, OSError) as e:
        return fail(PROG, _("PyTorch could not be loaded ({error}: {why})").format(error=type(e).__name__, why=e))
    try:
        out = expand_user(args.output) if args.output else None
        trained = load_trained(args.source)
        result = export_model(trained, args.format, out)
    except (ExportError, PathProblem) as e:
        return fail(PROG, str(e))
    except OSError as e:
        return fail(PROG, _("could not write {file}: {why}").format(
            file=getattr(e, "filename", None) or args.output, why=e.strerror or e))
    if result.opset:
        print(_("exported {name} from {source} as {format} (ONNX opset {opset}):").format(
            name=trained.name, source=source_text(trained), format=args.format, opset=result.opset))
    else:
        print(_("exported {name} from {source} as {format}:").format(
            name=trained.name, source=source_text(trained), format=args.format))
    for f in result.files:
        print(f"  {f}")
    print("  " + _("{card}  (the input it expects, the output, the layers)").format(card=result.card))
    shape = ", ".join(str(v) for v in trained.input_shape)
    scaled = _("values in [0, 1]") if trained.is_image else _("features as they are")
    if args.format == "state_dict":
        print(_("input: [N, {shape}] normalised with the saved mean/std ({scaled} first); output: logits").format(
            shape=shape, scaled=scaled), file=sys.stderr)
    else:
        print(_("input: float32 [N, {shape}], {scaled} (normalisation inside); output: logits over {n} "
                "classes").format(shape=shape, scaled=scaled, n=len(trained.classes)), file=sys.stderr)
    return EXIT_OK
