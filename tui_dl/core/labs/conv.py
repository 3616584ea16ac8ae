"""The conv and pool labs: 2-D convolution (cross-correlation, as PyTorch computes it) and max/average pooling on
small matrices, every window's multiply-adds written out.

- :func:`conv2d`: input channels, one or more filters, stride, padding (a number, or the course's ``narrow`` /
  ``same`` / ``wide``), dilation, bias.
- :func:`pool2d`: max or average pooling with a size, stride, padding (and dilation for max), and
  :func:`pool_backward`, where max pooling sends each output's gradient to its window's argmax.
- Each axis gets the output-size formula ⌊(M+2P−K)/S⌋+1 with its numbers (:class:`Axis`), and the input rows
  and columns no window reads: ``dropped`` (the tail that ⌊…⌋ rounds away, which PyTorch drops silently) and
  ``skipped`` (between windows, when the stride is longer than the window).

Plain Python; integer inputs give exact integer outputs. Checked against ``torch.nn.functional`` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_dl.core.i18n import N_, _, ngettext
from tui_dl.core.labs.values import LabError, Matrix, Number, factor, matrix_text, num, parse_channels

PAD_NAMES = ("narrow", "valid", "same", "wide")
#: An axis's name as the text shows it, one and many.
_AXIS_WORDS = {"rows": (N_("row"), N_("rows")), "columns": (N_("column"), N_("columns"))}


def _unit(axis: str, n: int = 2) -> str:
    one, many = _AXIS_WORDS.get(axis, (axis, axis))
    return _(one if n == 1 else many)


@dataclass(frozen=True)
class Axis:
    """One axis (rows or columns) of a sliding window: sizes, the output length and its formula text, and the input
    indices (0-based) no window reads."""

    name: str          # "rows" or "columns"
    size: int          # M: input length
    kernel: int        # K
    stride: int        # S
    pad_before: int
    pad_after: int
    dilation: int      # D
    out: int
    formula: str       # "⌊(M + 2P − K)/S⌋ + 1 = ⌊(3 + 2×0 − 2)/1⌋ + 1 = 2"
    dropped: tuple[int, ...]
    skipped: tuple[int, ...]

    @property
    def span(self) -> int:
        """The window's extent with dilation: D·(K − 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    def starts(self) -> list[int]:
        """Where each window starts, in padded coordinates."""
        return [i * self.stride for i in range(self.out)]

    def warning(self) -> str | None:
        """The flag shown when the stride does not tile this axis (None when every input index is read)."""
        parts = []
        s, pb, pa, m = self.stride, self.pad_before, self.pad_after, self.size
        if self.dropped:
            left = (m + pb + pa - self.span) % s
            idx = ", ".join(str(i) for i in self.dropped)
            n = len(self.dropped)
            parts.append(_("stride {s} does not tile the {axis}: ({m} + {pad} − {span}) mod {s} = {left} left over, "
                           "so ⌊…⌋ rounds down and PyTorch silently drops input {unit} {idx} (0-based)").format(
                s=s, axis=_unit(self.name), m=m, pad=pb + pa, span=self.span, left=left, unit=_unit(self.name, n),
                idx=idx))
        if self.skipped:
            idx = ", ".join(str(i) for i in self.skipped)
            if self.dilation > 1:
                text = _("input {axis} {idx} (0-based) fall between windows (stride {s} > window {span} with "
                         "dilation gaps) and are never read")
            else:
                text = _("input {axis} {idx} (0-based) fall between windows (stride {s} > window {span}) and are "
                         "never read")
            parts.append(text.format(axis=_unit(self.name), idx=idx, s=s, span=self.span))
        return "; ".join(parts) or None


def _axis(name: str, m: int, k: int, s: int, pb: int, pa: int, d: int, field: str) -> Axis:
    span = d * (k - 1) + 1
    if span > m + pb + pa:
        label = _("kernel") if field == "kernel" else _("pooling window")
        if d > 1:
            msg = _("the {label} ({k}, dilated to {span}, {axis}) is larger than the padded input ({m} + {pad} = "
                    "{total} {axis}): use a smaller {label}, more padding or less dilation")
        else:
            msg = _("the {label} ({k} {axis}) is larger than the padded input ({m} + {pad} = {total} {axis}): use a "
                    "smaller {label}, more padding or less dilation")
        raise LabError(msg.format(label=label, k=k, span=span, axis=_unit(name), m=m, pad=pb + pa,
                                  total=m + pb + pa), field)
    out = (m + pb + pa - span) // s + 1
    pad = f"2×{pb}" if pb == pa else f"{pb} + {pa}"
    padsym = "2P" if pb == pa else "P₁ + P₂"
    if d == 1:
        text = f"⌊(M + {padsym} − K)/S⌋ + 1 = ⌊({m} + {pad} − {k})/{s}⌋ + 1 = {out}"
    else:
        text = (f"K′ = D·(K − 1) + 1 = {d}·({k} − 1) + 1 = {span};  ⌊(M + {padsym} − K′)/S⌋ + 1 = "
                f"⌊({m} + {pad} − {span})/{s}⌋ + 1 = {out}")
    covered = {st + j * d - pb for st in (i * s for i in range(out)) for j in range(k)}
    last = (out - 1) * s + span - pb  # first input index after the last window
    dropped = tuple(i for i in range(max(0, last), m) if i not in covered)
    skipped = tuple(i for i in range(min(m, max(0, last))) if i not in covered)
    return Axis(name, m, k, s, pb, pa, d, out, text, dropped, skipped)


def padding_only_window(m: int, k: int, s: int, pb: int, d: int, out: int) -> int | None:
    """The first output position whose (dilated) window reads only padding along an axis of ``m``, or None."""
    for o in range(out):
        if not any(pb <= o * s + j * d < pb + m for j in range(k)):
            return o
    return None


def _pair(v, field: str, what: str, minimum: int) -> tuple[int, int]:
    vals = tuple(v) if isinstance(v, (list, tuple)) else (v, v)
    if len(vals) != 2:
        raise LabError(_("{what} is one number or a pair rows,columns").format(what=_(what)), field)
    for x in vals:
        if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
            raise LabError(_("{what} must be a whole number ≥ {minimum} (got {value})").format(
                what=_(what), minimum=minimum, value=repr(x)), field)
    return vals  # type: ignore[return-value]


def _padding(padding, kh: int, kw: int, dil: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from a number, a pair, or narrow/valid/same/wide."""
    if isinstance(padding, str) and padding.lower() in PAD_NAMES:
        p = padding.lower()
        tot_h, tot_w = dil[0] * (kh - 1), dil[1] * (kw - 1)
        if p in ("narrow", "valid"):
            return 0, 0, 0, 0
        if p == "wide":
            return tot_h, tot_h, tot_w, tot_w
        if stride != (1, 1):
            raise LabError(_("padding 'same' needs stride 1 (PyTorch refuses it for strided convolutions): use "
                             "--stride 1 or a number for the padding"), field="padding")
        return tot_h // 2, tot_h - tot_h // 2, tot_w // 2, tot_w - tot_w // 2
    if isinstance(padding, str):
        raise LabError(_("padding {value} is not a number or one of {names}").format(
            value=repr(padding), names=", ".join(PAD_NAMES)), field="padding")
    ph, pw = _pair(padding, "padding", N_("the padding"), 0)
    return ph, ph, pw, pw


def _depth(x) -> int:
    d = 0
    while isinstance(x, list) and x:
        d, x = d + 1, x[0]
    return d


def _filters(kernel, c_in: int) -> list[list[Matrix]]:
    """Filters as [out channel][in channel] matrices, from a matrix (one filter, one channel), a list of channel
    matrices (one filter) or a list of filters; text: filters separated by ``||``, channels by ``|``."""
    if isinstance(kernel, str):
        filters = [parse_channels(f, "kernel") for f in kernel.split("||")]
    elif _depth(kernel) == 4:
        filters = [parse_channels(f, "kernel") for f in kernel]
    else:  # one filter: a matrix, or its channels
        filters = [parse_channels(kernel, "kernel")]
    shape = (len(filters[0][0]), len(filters[0][0][0]))
    for o, f in enumerate(filters):
        if len(f) != c_in:
            raise LabError(ngettext(
                "filter {o} has {n} channel but the input has {c}: give the kernel one matrix per input channel, "
                "separated by '|'",
                "filter {o} has {n} channels but the input has {c}: give the kernel one matrix per input channel, "
                "separated by '|'", len(f)).format(o=o + 1, n=len(f), c=c_in), field="kernel")
        if (len(f[0]), len(f[0][0])) != shape:
            raise LabError(_("filter {o} is {h}×{w} but filter 1 is {h1}×{w1}: every filter needs the same "
                             "size").format(o=o + 1, h=len(f[0]), w=len(f[0][0]), h1=shape[0], w1=shape[1]), field="kernel")
    return filters


def _pad(chans: list[Matrix], pt: int, pb: int, pl: int, pr: int, fill: Number) -> list[Matrix]:
    out = []
    for m in chans:
        w = len(m[0]) + pl + pr
        rows = [[fill] * w for _ in range(pt)]
        rows += [[fill] * pl + list(r) + [fill] * pr for r in m]
        rows += [[fill] * w for _ in range(pb)]
        out.append(rows)
    return out


@dataclass(frozen=True)
class Window:
    """One output value: its position (``channel``: the output channel), its value, the worked text
    (``"0×0 + 1×1 + 3×2 + 4×3 = 19"``) and the padded-input cells it read, as (channel, row, col)."""

    channel: int
    row: int
    col: int
    value: Number
    text: str
    cells: tuple[tuple[int, int, int], ...]
    #: Max pooling: the padded-input cell that won (first maximum in row-major order, as PyTorch picks).
    argmax: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class SlideResult:
    """A convolution or a pooling, worked out. ``output`` holds one matrix per output channel; ``padded`` is the
    input with its padding (what the windows slide over); ``rows``/``cols`` the two axes' arithmetic."""

    op: str                  # "conv", "max" or "avg"
    input: tuple             # channels (list of matrices)
    kernel: tuple            # conv: filters [out][in]; pool: ()
    bias: tuple              # conv: one per filter, or ()
    padded: tuple
    rows: Axis
    cols: Axis
    output: tuple
    steps: tuple[Window, ...]

    def to_json(self) -> dict:
        many = len(self.output) > 1
        out = [[list(r) for r in m] for m in self.output]
        steps = []
        for w in self.steps:
            d = {"row": w.row, "col": w.col, "value": w.value, "text": w.text}
            if many:
                d = {"channel": w.channel, **d}
            steps.append(d)
        return {"output": out if many else out[0], "steps": steps}

    def warnings(self) -> list[str]:
        return [w for w in (self.rows.warning(), self.cols.warning()) if w]

    def lines(self) -> list[str]:
        title = _(_TITLES[self.op])
        r, c = self.rows, self.cols
        h, w = len(self.input[0]), len(self.input[0][0])
        out = [_("{title}: input {c}×{h}×{w}, window {kh}×{kw}, stride {stride}, padding {padding}, dilation "
                 "{dilation}").format(title=title, c=len(self.input), h=h, w=w, kh=r.kernel, kw=c.kernel,
                                      stride=_pair_text(r.stride, c.stride), padding=_pad_text(r, c),
                                      dilation=_pair_text(r.dilation, c.dilation))]
        for i, m in enumerate(self.input):
            out.append(_("input channel {i}:").format(i=i + 1) if len(self.input) > 1 else _("input:"))
            out += [f"  {ln}" for ln in matrix_text(m)]
        for o, f in enumerate(self.kernel):
            for i, m in enumerate(f):
                if len(self.kernel) > 1 and len(f) > 1:
                    label = _("kernel {o} channel {i}:").format(o=o + 1, i=i + 1)
                elif len(self.kernel) > 1:
                    label = _("kernel {o}:").format(o=o + 1)
                elif len(f) > 1:
                    label = _("kernel channel {i}:").format(i=i + 1)
                else:
                    label = _("kernel:")
                out.append(label)
                out += [f"  {ln}" for ln in matrix_text(m)]
        if self.bias:
            out.append(_("bias: {values}").format(values=", ".join(num(b) for b in self.bias)))
        out.append(_("output rows:    {formula}").format(formula=r.formula))
        out.append(_("output columns: {formula}").format(formula=c.formula))
        out += [f"⚠ {w_}" for w_ in self.warnings()]
        out.append(_("windows:"))
        for s in self.steps:
            ch = f"{s.channel}," if len(self.output) > 1 else ""
            out.append(f"  y[{ch}{s.row},{s.col}] = {s.text}")
        for o, m in enumerate(self.output):
            out.append(_("output channel {o}:").format(o=o + 1) if len(self.output) > 1 else _("output:"))
            out += [f"  {ln}" for ln in matrix_text(m)]
        return out


_TITLES = {"conv": N_("convolution (cross-correlation, as PyTorch computes it)"), "max": N_("max pooling"),
           "avg": N_("average pooling")}


def _pair_text(a, b) -> str:
    return f"{a}" if a == b else f"{a},{b}"


def _pad_text(r: Axis, c: Axis) -> str:
    vals = (r.pad_before, r.pad_after, c.pad_before, c.pad_after)
    if len(set(vals)) == 1:
        return str(vals[0])
    return _("rows {top}+{bottom}, columns {left}+{right}").format(top=r.pad_before, bottom=r.pad_after,
                                                                   left=c.pad_before, right=c.pad_after)


def _axes(h: int, w: int, kh: int, kw: int, stride, padding, dilation, kernel_field: str):
    s = _pair(stride, "stride", N_("the stride"), 1)
    d = _pair(dilation, "dilation", N_("the dilation"), 1)
    pt, pb, pl, pr = _padding(padding, kh, kw, d, s)
    rows = _axis("rows", h, kh, s[0], pt, pb, d[0], kernel_field)
    cols = _axis("columns", w, kw, s[1], pl, pr, d[1], kernel_field)
    return rows, cols


def conv2d(input, kernel, *, stride=1, padding=0, dilation=1, bias=None) -> SlideResult:
    """Cross-correlation of ``input`` (a matrix, channels, or their text ``"0 1; 2 3 | 4 5; 6 7"``) with ``kernel``
    (a matrix, a filter's channels, a list of filters, or text: channels split by ``|``, filters by ``||``)."""
    chans = parse_channels(input, "input")
    filters = _filters(kernel, len(chans))
    if bias is not None:
        bias = list(bias) if isinstance(bias, (list, tuple)) else [bias]
        if len(bias) != len(filters):
            raise LabError(ngettext("{n} bias value for {f} filter(s): give one bias per filter",
                                    "{n} bias values for {f} filter(s): give one bias per filter",
                                    len(bias)).format(n=len(bias), f=len(filters)), field="bias")
    kh, kw = len(filters[0][0]), len(filters[0][0][0])
    rows, cols = _axes(len(chans[0]), len(chans[0][0]), kh, kw, stride, padding, dilation, "kernel")
    padded = _pad(chans, rows.pad_before, rows.pad_after, cols.pad_before, cols.pad_after, 0)
    steps, output = [], []
    for o, filt in enumerate(filters):
        out_m = []
        for i, r0 in enumerate(rows.starts()):
            out_row = []
            for j, c0 in enumerate(cols.starts()):
                terms, cells, total = [], [], 0
                for ci, k in enumerate(filt):
                    for u in range(kh):
                        for v in range(kw):
                            rr, cc = r0 + u * rows.dilation, c0 + v * cols.dilation
                            x, wt = padded[ci][rr][cc], k[u][v]
                            total += x * wt
                            terms.append(f"{factor(x)}×{factor(wt)}")
                            cells.append((ci, rr, cc))
                if bias is not None:
                    total += bias[o]
                    terms.append(factor(bias[o]))
                out_row.append(total)
                steps.append(Window(o, i, j, total, f"{' + '.join(terms)} = {num(total)}", tuple(cells)))
            out_m.append(out_row)
        output.append(out_m)
    return SlideResult("conv", tuple(chans), tuple(filters), tuple(bias or ()), tuple(padded), rows, cols,
                       tuple(output), tuple(steps))


def pool2d(input, size=2, *, stride=None, padding=0, dilation=1, mode="max") -> SlideResult:
    """Max or average pooling over each channel (PyTorch's defaults: stride = size; max pads with −∞, average
    with zeros and divides by the full window, ``count_include_pad=True``)."""
    if mode not in ("max", "avg"):
        raise LabError(_("unknown pooling mode {mode}: use max or avg").format(mode=repr(mode)), field="mode")
    chans = parse_channels(input, "input")
    kh, kw = _pair(size, "size", N_("the pooling size"), 1)
    rows, cols = _axes(len(chans[0]), len(chans[0][0]), kh, kw, (kh, kw) if stride is None else stride, padding,
                       dilation, "size")
    if mode == "avg" and (rows.dilation, cols.dilation) != (1, 1):
        raise LabError(_("average pooling has no dilation in PyTorch: use --mode max or --dilation 1"), field="dilation")
    for a in (rows, cols):
        limit = a.kernel // 2  # PyTorch: "pad should be smaller than or equal to half of kernel size" (undilated)
        if max(a.pad_before, a.pad_after) > limit:
            raise LabError(_("padding {p} is more than half the window ({limit} at most, as PyTorch requires): use "
                             "--padding {limit} or a larger --size").format(p=max(a.pad_before, a.pad_after),
                                                                            limit=limit), field="padding")
        blind = padding_only_window(a.size, a.kernel, a.stride, a.pad_before, a.dilation, a.out)
        if mode == "max" and blind is not None:
            raise LabError(_("with dilation {d} and padding {p}, window {blind} along the {axis} reads only padding: "
                             "its max would be −∞ (PyTorch gives −inf and its backward pass writes out of bounds). "
                             "Use --padding 0 or --dilation 1").format(d=a.dilation, p=a.pad_before, blind=blind,
                                                                       axis=_unit(a.name)), field="padding")
    fill = float("-inf") if mode == "max" else 0
    padded = _pad(chans, rows.pad_before, rows.pad_after, cols.pad_before, cols.pad_after, fill)
    steps, output = [], []
    for ch, m in enumerate(padded):
        out_m = []
        for i, r0 in enumerate(rows.starts()):
            out_row = []
            for j, c0 in enumerate(cols.starts()):
                cells = tuple((ch, r0 + u * rows.dilation, c0 + v * cols.dilation)
                              for u in range(kh) for v in range(kw))
                vals = [m[r][c] for _, r, c in cells]
                if mode == "max":
                    best, arg = float("-inf"), None
                    for cell, val in zip(cells, vals):
                        if arg is None or val > best:
                            best, arg = val, cell
                    shown = [num(v) for v in vals if v != float("-inf")]
                    text = f"max({', '.join(shown)}) = {num(best)}"
                    value = best
                else:
                    arg = None
                    total = sum(vals)
                    value = total / (kh * kw)
                    text = f"({' + '.join(factor(v) for v in vals)})/{kh * kw} = {num(value)}"
                out_row.append(value)
                steps.append(Window(ch, i, j, value, text, cells, arg))
            out_m.append(out_row)
        output.append(out_m)
    return SlideResult(mode, tuple(chans), (), (), tuple(padded), rows, cols, tuple(output), tuple(steps))


@dataclass(frozen=True)
class PoolBackward:
    """The gradient that flows back through a pooling: ``grad_input`` (one matrix per channel, input-sized) from
    ``grad_output``; max pooling routes each output's gradient to its argmax, average pooling shares it out."""

    grad_output: tuple
    grad_input: tuple
    texts: tuple[str, ...]

    def lines(self) -> list[str]:
        out = [_("backward (∂L/∂y given for every output; ∂L/∂x collected at the inputs):")]
        out += [f"  {t}" for t in self.texts]
        for c, m in enumerate(self.grad_input):
            out.append(_("∂L/∂x channel {c}:").format(c=c + 1) if len(self.grad_input) > 1 else "∂L/∂x:")
            out += [f"  {ln}" for ln in matrix_text(m)]
        return out

    def to_json(self) -> dict:
        g = [[list(r) for r in m] for m in self.grad_input]
        return {"grad_output": [[list(r) for r in m] for m in self.grad_output] if len(g) > 1
                else [list(r) for r in self.grad_output[0]], "grad_input": g if len(g) > 1 else g[0]}


def pool_backward(result: SlideResult, grad_output=None) -> PoolBackward:
    """∂L/∂x of a pooling for the upstream gradient ``grad_output`` (channels like the output; default all ones).
    Overlapping windows add up, as in autograd."""
    if result.op not in ("max", "avg"):
        raise LabError(_("pool_backward needs a pooling result"), field="mode")
    shape = (len(result.output), len(result.output[0]), len(result.output[0][0]))
    if grad_output is None:
        g = [[[1] * shape[2] for _ in range(shape[1])] for _ in range(shape[0])]
    else:
        g = parse_channels(grad_output, "grad")
        if (len(g), len(g[0]), len(g[0][0])) != shape:
            raise LabError(_("the output gradient is {c}×{h}×{w} but the output is {c1}×{h1}×{w1}: give one value per "
                             "output").format(c=len(g), h=len(g[0]), w=len(g[0][0]), c1=shape[0], h1=shape[1],
                                              w1=shape[2]), field="grad")
    pt, pl = result.rows.pad_before, result.cols.pad_before
    h, w = len(result.input[0]), len(result.input[0][0])
    gi = [[[0] * w for _ in range(h)] for _ in range(len(result.input))]
    texts = []
    k = result.rows.kernel * result.cols.kernel
    for s in result.steps:
        gv = g[s.channel][s.row][s.col]
        ch = f"{s.channel}," if shape[0] > 1 else ""
        if result.op == "max":
            if s.argmax is None:
                continue
            c, r, col = s.argmax
            gi[c][r - pt][col - pl] += gv
            texts.append(_("∂L/∂y[{ch}{row},{col}] = {g} → x[{ch}{r},{c}] (the window's max, {value}); the other "
                           "{others} inputs of the window get 0").format(
                ch=ch, row=s.row, col=s.col, g=num(gv), r=r - pt, c=col - pl, value=num(s.value), others=k - 1))
        else:
            share = gv / k
            for c, r, col in s.cells:
                if 0 <= r - pt < h and 0 <= col - pl < w:
                    gi[c][r - pt][col - pl] += share
            texts.append(_("∂L/∂y[{ch}{row},{col}] = {g} → {g}/{k} = {share} to each of the window's {k} "
                           "inputs").format(ch=ch, row=s.row, col=s.col, g=num(gv), k=k, share=num(share)))
    return PoolBackward(tuple(g), tuple(gi), tuple(texts))
