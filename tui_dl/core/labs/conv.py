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

from tui_dl.core.labs.values import LabError, Matrix, Number, factor, matrix_text, num, parse_channels

PAD_NAMES = ("narrow", "valid", "same", "wide")


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
        one = self.name[:-1]
        if self.dropped:
            left = (m + pb + pa - self.span) % s
            idx = ", ".join(str(i) for i in self.dropped)
            n = len(self.dropped)
            parts.append(f"stride {s} does not tile the {self.name}: ({m} + {pb + pa} − {self.span}) mod {s} = "
                         f"{left} left over, so ⌊…⌋ rounds down and PyTorch silently drops input {one}"
                         f"{'s' if n > 1 else ''} {idx} (0-based)")
        if self.skipped:
            idx = ", ".join(str(i) for i in self.skipped)
            parts.append(f"input {self.name} {idx} (0-based) fall between windows (stride {s} > window "
                         f"{self.span}{' with dilation gaps' if self.dilation > 1 else ''}) and are never read")
        return "; ".join(parts) or None


def _axis(name: str, m: int, k: int, s: int, pb: int, pa: int, d: int, field: str) -> Axis:
    span = d * (k - 1) + 1
    if span > m + pb + pa:
        what = f"{k}" + (f", dilated to {span}," if d > 1 else "")
        label = "kernel" if field == "kernel" else "pooling window"
        raise LabError(f"the {label} ({what} {name}) is larger than the padded input ({m} + {pb + pa} = "
                       f"{m + pb + pa} {name}): use a smaller {label}, more padding or less dilation", field)
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
        raise LabError(f"{what} is one number or a pair rows,columns", field)
    for x in vals:
        if isinstance(x, bool) or not isinstance(x, int) or x < minimum:
            raise LabError(f"{what} must be a whole number ≥ {minimum} (got {x!r})", field)
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
            raise LabError("padding 'same' needs stride 1 (PyTorch refuses it for strided convolutions): use "
                           "--stride 1 or a number for the padding", "padding")
        return tot_h // 2, tot_h - tot_h // 2, tot_w // 2, tot_w - tot_w // 2
    if isinstance(padding, str):
        raise LabError(f"padding {padding!r} is not a number or one of {', '.join(PAD_NAMES)}", "padding")
    ph, pw = _pair(padding, "padding", "the padding", 0)
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
            raise LabError(f"filter {o + 1} has {len(f)} channel{'s' if len(f) != 1 else ''} but the input has "
                           f"{c_in}: give the kernel one matrix per input channel, separated by '|'", "kernel")
        if (len(f[0]), len(f[0][0])) != shape:
            raise LabError(f"filter {o + 1} is {len(f[0])}×{len(f[0][0])} but filter 1 is {shape[0]}×{shape[1]}: "
                           f"every filter needs the same size", "kernel")
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
        title = {"conv": "convolution (cross-correlation, as PyTorch computes it)", "max": "max pooling",
                 "avg": "average pooling"}[self.op]
        r, c = self.rows, self.cols
        h, w = len(self.input[0]), len(self.input[0][0])
        out = [f"{title}: input {len(self.input)}×{h}×{w}, window {r.kernel}×{c.kernel}, stride "
               f"{_pair_text(r.stride, c.stride)}, padding {_pad_text(r, c)}, dilation {_pair_text(r.dilation, c.dilation)}"]
        for i, m in enumerate(self.input):
            out.append(f"input{f' channel {i + 1}' if len(self.input) > 1 else ''}:")
            out += [f"  {ln}" for ln in matrix_text(m)]
        for o, f in enumerate(self.kernel):
            for i, m in enumerate(f):
                label = "kernel" + (f" {o + 1}" if len(self.kernel) > 1 else "") + \
                        (f" channel {i + 1}" if len(f) > 1 else "")
                out.append(f"{label}:")
                out += [f"  {ln}" for ln in matrix_text(m)]
        if self.bias:
            out.append(f"bias: {', '.join(num(b) for b in self.bias)}")
        out.append(f"output rows:    {r.formula}")
        out.append(f"output columns: {c.formula}")
        out += [f"⚠ {w_}" for w_ in self.warnings()]
        out.append("windows:")
        for s in self.steps:
            ch = f"{s.channel}," if len(self.output) > 1 else ""
            out.append(f"  y[{ch}{s.row},{s.col}] = {s.text}")
        for o, m in enumerate(self.output):
            out.append(f"output{f' channel {o + 1}' if len(self.output) > 1 else ''}:")
            out += [f"  {ln}" for ln in matrix_text(m)]
        return out


def _pair_text(a, b) -> str:
    return f"{a}" if a == b else f"{a},{b}"


def _pad_text(r: Axis, c: Axis) -> str:
    vals = (r.pad_before, r.pad_after, c.pad_before, c.pad_after)
    if len(set(vals)) == 1:
        return str(vals[0])
    return f"rows {r.pad_before}+{r.pad_after}, columns {c.pad_before}+{c.pad_after}"


def _axes(h: int, w: int, kh: int, kw: int, stride, padding, dilation, kernel_field: str):
    s = _pair(stride, "stride", "the stride", 1)
    d = _pair(dilation, "dilation", "the dilation", 1)
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
            raise LabError(f"{len(bias)} bias value{'s' if len(bias) != 1 else ''} for {len(filters)} filter"
                           f"{'s' if len(filters) != 1 else ''}: give one bias per filter", "bias")
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
        raise LabError(f"unknown pooling mode {mode!r}: use max or avg", "mode")
    chans = parse_channels(input, "input")
    kh, kw = _pair(size, "size", "the pooling size", 1)
    rows, cols = _axes(len(chans[0]), len(chans[0][0]), kh, kw, (kh, kw) if stride is None else stride, padding,
                       dilation, "size")
    if mode == "avg" and (rows.dilation, cols.dilation) != (1, 1):
        raise LabError("average pooling has no dilation in PyTorch: use --mode max or --dilation 1", "dilation")
    for a in (rows, cols):
        limit = a.kernel // 2  # PyTorch: "pad should be smaller than or equal to half of kernel size" (undilated)
        if max(a.pad_before, a.pad_after) > limit:
            raise LabError(f"padding {max(a.pad_before, a.pad_after)} is more than half the window ({limit} at most, "
                           f"as PyTorch requires): use --padding {limit} or a larger --size", "padding")
        blind = padding_only_window(a.size, a.kernel, a.stride, a.pad_before, a.dilation, a.out)
        if mode == "max" and blind is not None:
            raise LabError(f"with dilation {a.dilation} and padding {a.pad_before}, window {blind} along the "
                           f"{a.name} reads only padding: its max would be −∞ (PyTorch gives −inf and its backward "
                           f"pass writes out of bounds). Use --padding 0 or --dilation 1", "padding")
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
        out = ["backward (∂L/∂y given for every output; ∂L/∂x collected at the inputs):"]
        out += [f"  {t}" for t in self.texts]
        for c, m in enumerate(self.grad_input):
            out.append(f"∂L/∂x{f' channel {c + 1}' if len(self.grad_input) > 1 else ''}:")
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
        raise LabError("pool_backward needs a pooling result", "mode")
    shape = (len(result.output), len(result.output[0]), len(result.output[0][0]))
    if grad_output is None:
        g = [[[1] * shape[2] for _ in range(shape[1])] for _ in range(shape[0])]
    else:
        g = parse_channels(grad_output, "grad")
        if (len(g), len(g[0]), len(g[0][0])) != shape:
            raise LabError(f"the output gradient is {len(g)}×{len(g[0])}×{len(g[0][0])} but the output is "
                           f"{shape[0]}×{shape[1]}×{shape[2]}: give one value per output", "grad")
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
            texts.append(f"∂L/∂y[{ch}{s.row},{s.col}] = {num(gv)} → x[{ch}{r - pt},{col - pl}] (the window's max, "
                         f"{num(s.value)}); the other {k - 1} inputs of the window get 0")
        else:
            share = gv / k
            for c, r, col in s.cells:
                if 0 <= r - pt < h and 0 <= col - pl < w:
                    gi[c][r - pt][col - pl] += share
            texts.append(f"∂L/∂y[{ch}{s.row},{s.col}] = {num(gv)} → {num(gv)}/{k} = {num(share)} to each of the "
                         f"window's {k} inputs")
    return PoolBackward(tuple(g), tuple(gi), tuple(texts))
