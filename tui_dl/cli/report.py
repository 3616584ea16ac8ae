"""Plain-text rendering of a network summary (``tui-dl summary`` and the batch runner's error report).

No Rich, no Textual: ANSI colour only when asked for.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

from tui_dl.core.i18n import _, ljust, rjust, text_width, truncate
from tui_dl.core.model.layers import shape_str
from tui_dl.core.model.shapes import Summary, human_bytes

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _c(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def summary_table(summary: Summary, title: str = "", color: bool = False, width: int | None = None) -> str:
    """The torchinfo-style table with the working shown, then totals (and errors)."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    # TRANSLATORS: the column headings of the layer table (tui-dl summary); "Mult-adds" = multiply-accumulates
    head = ("#", _("Layer"), _("Output shape"), _("Params"), _("Mult-adds"))
    body: list[tuple[tuple[str, ...], Any]] = [(("", _("Input"), shape_str(summary.input_shape), "", ""), None)]
    for r in summary.rows:
        indent = "  " * r.depth
        out = shape_str(r.out_shape) if r.out_shape else ("—" if r.skipped else "✗")
        body.append(((r.index_text, indent + r.label, out, f"{r.params:,}" if not (r.error or r.skipped) else "",
                      f"{r.macs:,}" if not (r.error or r.skipped) else ""), r))
    widths = [max(text_width(h), *(text_width(cells[i]) for cells, _row in body)) for i, h in enumerate(head)]
    used = sum(widths) + 2 * (len(head))
    formula_w = max(30, width - used - 2)
    lines = []
    if title:
        lines.append(_c(title, _BOLD, color))
    header = "  ".join(ljust(h, widths[i]) if i < 3 else rjust(h, widths[i]) for i, h in enumerate(head))
    lines.append(_c(header + "  " + _("Formula"), _BOLD, color))
    lines.append("─" * min(width, text_width(header) + 2 + formula_w))
    for cells, row in body:
        text = "  ".join(ljust(c, widths[i]) if i < 3 else rjust(c, widths[i]) for i, c in enumerate(cells))
        notes: list[tuple[str, str]] = []
        if row is not None:
            if row.error:
                notes.append((f"✗ {row.error}", _RED))
                if row.fix:
                    notes.append(("  " + _("fix: {fix}").format(fix=_(row.fix.description)), _RED))
            elif row.skipped:
                notes.append((_("not computed: an earlier layer has an error"), _DIM))
            else:
                for f in row.shape_formula:
                    notes.append((f, ""))
                if row.params or row.buffers:
                    notes.append((_("params: {formula}").format(formula=row.param_formula), ""))
                for w in row.warnings:
                    notes.append((f"⚠ {w}", _YELLOW))
        first = True
        for note, code in notes or [("", "")]:
            chunks = _wrap(note, formula_w)
            for chunk in chunks:
                line = (text if first else " " * text_width(text)) + "  " + (_c(chunk, code, color)
                                                                            if code else chunk)
                lines.append(line.rstrip())
                first = False
    lines.append("─" * min(width, text_width(header) + 2 + formula_w))
    t = summary.totals
    if summary.ok:
        lines.append(_("Total params: {params:,}   (trainable {trainable:,}; buffers {buffers:,})").format(
            params=t.params, trainable=t.trainable, buffers=t.buffers))
        lines.append(_("Mult-adds per sample: {macs:,}").format(macs=t.macs))
        lines.append(_("Memory: weights {weights}, activations per sample {activations} (forward, float32)").format(
            weights=human_bytes(t.param_bytes), activations=human_bytes(t.activation_bytes)))
        lines.append(_("Output: {shape}").format(shape=shape_str(t.out_shape)))
    if summary.problem_text is not None:  # a network-level problem, or the first layer's error
        lines.append(_c(f"✗ {summary.problem_text}", _RED, color))
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells where its words fit, broken at spaces, the lines after the
    first indented by 2. Chinese has no spaces: there a line may break after any character."""
    if text_width(text) <= width:
        return [text]
    if not text.isascii():
        return _wrap_cjk(text, width)
    words, out, cur = text.split(" "), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = "  " + w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        out.append(cur)
    return out


_ATOMS = re.compile(r" +|[!-~]+|.")  # spaces, an ASCII word (kept whole), or one other character


def _wrap_cjk(text: str, width: int) -> list[str]:
    out, cur = [], ""
    for atom in _ATOMS.findall(text):
        if atom.startswith(" "):
            if cur.strip():
                cur += " "
            continue
        if cur.strip() and text_width(cur + atom) > width:
            out.append(cur.rstrip())
            cur = "  "
        cur += atom
    if cur.strip():
        out.append(cur.rstrip())
    return out


def summary_json(summary: Summary, name: str = "") -> str:
    def row(r):
        return {
            "index": r.index_text, "path": list(r.path), "type": r.type, "label": r.label,
            "input_shape": list(r.in_shape) if r.in_shape else None,
            "output_shape": list(r.out_shape) if r.out_shape else None,
            "params": r.params, "buffers": r.buffers, "mult_adds": r.macs,
            "shape_formula": r.shape_formula, "param_formula": r.param_formula, "warnings": r.warnings,
            "error": r.error, "error_field": r.error_field,
            "fix": r.fix.description if r.fix else None, "skipped": r.skipped,
        }

    t = summary.totals
    return json.dumps({
        "name": name, "ok": summary.ok, "input_shape": list(summary.input_shape),
        "layers": [row(r) for r in summary.rows],
        "totals": {"params": t.params, "trainable": t.trainable, "buffers": t.buffers, "mult_adds": t.macs,
                   "activation_bytes_per_sample": t.activation_bytes, "param_bytes": t.param_bytes,
                   "output_shape": list(t.out_shape) if t.out_shape else None},
        "errors": summary.errors,
    }, indent=2, ensure_ascii=False)


# ----------------------------------------------------------------------------- reference tables for the README


def _default_text(f) -> str:
    if f.inferred:
        return "inferred"
    if f.required:
        return "required"
    if f.default is None:
        return f"= {f.default_text}" if f.default_text else "—"
    if isinstance(f.default, bool):
        return str(f.default).lower()
    return str(f.default)


def layer_reference_markdown() -> str:
    """The README's layer table, generated from the registry (a test keeps the README in sync)."""
    from tui_dl.core.model.layers import GROUPS, by_group

    lines = ["| group | type | what it does | arguments (default) |", "|---|---|---|---|"]
    groups = by_group()
    for g in GROUPS:
        for kind in groups[g]:
            args = ", ".join(f"`{f.name}` ({_default_text(f)})" for f in kind.fields) or "—"
            lines.append(f"| {g} | `{kind.name}` | {kind.summary} | {args} |")
    return "\n".join(lines)


def config_reference_markdown() -> str:
    """The README's data:/train: reference, generated from the config schema."""
    from tui_dl.core.config import schema as C

    def table(fields, prefix):
        rows = ["| field | default | meaning |", "|---|---|---|"]
        for f in fields:
            extra = f" One of: {', '.join(f.choices)}." if f.kind == "choice" else ""
            rows.append(f"| `{prefix}{f.name}` | `{_default_text(f)}` | {f.help}.{extra} |")
        return rows

    out = ["#### `data:`", ""] + table(C.DATA_FIELDS, "data.") + ["", "#### `train:`", ""]
    out += table(C.TRAIN_FIELDS, "train.")
    out += ["| `train.loss` | `cross_entropy` | loss: a name or `{name: ..., field: value}` (below). |",
            "| `train.optimizer` | `adam` | optimizer: a name or `{name: ..., lr: ...}` (below). |",
            "| `train.scheduler` | `null` | learning-rate schedule, stepped once per epoch (below). |",
            "| `train.early_stopping` | `null` | `{patience, monitor, min_delta, restore_best}` (below). |",
            "| `train.adversarial` | `null` | `{eps, fraction, method, steps}`: adversarial training (below). |"]
    for title, table_ in (("Optimizers (`train.optimizer`)", C.OPTIMIZERS), ("Losses (`train.loss`)", C.LOSSES),
                          ("Schedulers (`train.scheduler`)", C.SCHEDULERS)):
        out += ["", f"#### {title}", "", "| name | fields (default) |", "|---|---|"]
        for name, fields in table_.items():
            desc = ", ".join(f"`{f.name}` ({_default_text(f)}): {f.help}" for f in fields) or "—"
            out.append(f"| `{name}` | {desc} |")
    out += ["", "#### Early stopping (`train.early_stopping`)", ""] + table(C.EARLY_STOPPING_FIELDS,
                                                                          "early_stopping.")
    out += ["", "#### Adversarial training (`train.adversarial`)", ""] + table(C.ADVERSARIAL_FIELDS,
                                                                             "adversarial.")
    return "\n".join(out)


if __name__ == "__main__":  # python -m tui_dl.cli.report: print the generated README blocks
    from tui_dl.app.keys import readme_keys_markdown  # the app's key table (tui_dl/app/keys.py)

    print("<!-- keys:start -->\n" + readme_keys_markdown() + "\n<!-- keys:end -->\n")
    print("<!-- layers:start -->\n" + layer_reference_markdown() + "\n<!-- layers:end -->\n")
    print("<!-- config:start -->\n" + config_reference_markdown() + "\n<!-- config:end -->")
