"""The conv and pool labs: the course's examples exactly, and torch.nn.functional on many random cases
(channels, stride, padding, dilation), max pooling's backward pass against autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tui_dl.core.labs.conv import conv2d, padding_only_window, pool2d, pool_backward
from tui_dl.core.labs.values import LabError, parse_matrix

SETTINGS = settings(max_examples=60, deadline=None)


def test_the_courses_conv_example():
    r = conv2d("0 1 2; 3 4 5; 6 7 8", "0 1; 2 3")
    assert r.to_json()["output"] == [[19, 25], [37, 43]]
    texts = [s["text"] for s in r.to_json()["steps"]]
    assert texts == ["0×0 + 1×1 + 3×2 + 4×3 = 19", "1×0 + 2×1 + 4×2 + 5×3 = 25",
                     "3×0 + 4×1 + 6×2 + 7×3 = 37", "4×0 + 5×1 + 7×2 + 8×3 = 43"]
    assert [(s["row"], s["col"], s["value"]) for s in r.to_json()["steps"]] == [(0, 0, 19), (0, 1, 25), (1, 0, 37),
                                                                                (1, 1, 43)]
    assert r.rows.formula == "⌊(M + 2P − K)/S⌋ + 1 = ⌊(3 + 2×0 − 2)/1⌋ + 1 = 2"
    assert r.warnings() == []
    assert isinstance(r.output[0][0][0], int)  # integer inputs stay exact


def test_the_courses_pool_example_and_its_backward_pass():
    r = pool2d("1 3 2 4; 5 6 7 8; 3 2 1 0; 9 8 7 6", 2, stride=2, mode="max")
    assert r.to_json()["output"] == [[6, 8], [9, 7]]
    assert r.steps[0].text == "max(1, 3, 5, 6) = 6"
    assert [s.argmax for s in r.steps] == [(0, 1, 1), (0, 1, 3), (0, 3, 0), (0, 3, 2)]
    back = pool_backward(r)
    assert back.grad_input[0] == [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]]
    avg = pool2d("1 3 2 4; 5 6 7 8; 3 2 1 0; 9 8 7 6", 2, mode="avg")
    assert avg.to_json()["output"] == [[3.75, 5.25], [5.5, 3.5]]
    assert avg.steps[0].text == "(1 + 3 + 5 + 6)/4 = 3.75"


def test_padding_names_of_the_course():
    x = [[1] * 5 for _ in range(5)]
    k = [[1] * 3 for _ in range(3)]
    assert len(conv2d(x, k, padding="narrow").output[0]) == 5 - 3 + 1
    assert len(conv2d(x, k, padding="wide").output[0]) == 5 + 3 - 1
    assert len(conv2d(x, k, padding="same").output[0]) == 5
    even = conv2d(x, [[1, 1], [1, 1]], padding="same")  # torch pads the extra row/column after
    assert (even.rows.pad_before, even.rows.pad_after) == (0, 1) and len(even.output[0]) == 5
    with pytest.raises(LabError) as e:
        conv2d(x, k, padding="same", stride=2)
    assert e.value.field == "padding"


def test_dropped_rows_are_named():
    r = conv2d([[1] * 6 for _ in range(6)], [[1, 1], [1, 1]], stride=3)  # (6−2) mod 3 = 1: row 5 never read
    assert r.rows.dropped == (5,) and r.cols.dropped == (5,)
    assert "PyTorch silently drops input row 5" in r.rows.warning()
    padded = conv2d([[1] * 5 for _ in range(5)], [[1] * 3] * 3, stride=2, padding=1)  # only a padding row left
    assert padded.rows.dropped == () and padded.warnings() == []
    gaps = conv2d([[1] * 5 for _ in range(5)], [[1]], stride=2)
    assert gaps.rows.skipped == (1, 3) and "never read" in gaps.rows.warning()


def _torch_dropped_rows(x: list, k: list, stride: int, padding: int, dilation: int) -> tuple[int, ...]:
    """Rows whose gradient is zero for a kernel of ones: the rows no window reads. Only the row axis is convolved
    (one column, kernel width 1, no column padding), so a row never reads as dropped because its columns were."""
    t = torch.ones(1, 1, len(x), 1, dtype=torch.float64, requires_grad=True)
    F.conv2d(t, torch.ones(1, 1, len(k), 1, dtype=torch.float64), stride=(stride, 1), padding=(padding, 0),
             dilation=(dilation, 1)).sum().backward()
    return tuple(i for i in range(len(x)) if t.grad[0, 0, i].abs().sum() == 0)


@st.composite
def conv_cases(draw):
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s, p, d = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
    assume(d * (kh - 1) + 1 <= h + 2 * p and d * (kw - 1) + 1 <= w + 2 * p)
    val = st.integers(-5, 5)
    x = [[[draw(val) for _ in range(w)] for _ in range(h)] for _ in range(c_in)]
    k = [[[[draw(val) for _ in range(kw)] for _ in range(kh)] for _ in range(c_in)] for _ in range(c_out)]
    bias = [draw(val) for _ in range(c_out)] if draw(st.booleans()) else None
    return x, k, bias, s, p, d


@SETTINGS
@given(case=conv_cases())
def test_conv2d_matches_torch(case):
    x, k, bias, s, p, d = case
    r = conv2d(x, k, stride=s, padding=p, dilation=d, bias=bias)
    want = F.conv2d(torch.tensor([x], dtype=torch.float64), torch.tensor(k, dtype=torch.float64),
                    None if bias is None else torch.tensor(bias, dtype=torch.float64), stride=s, padding=p,
                    dilation=d)[0]
    assert [[list(map(float, row)) for row in m] for m in r.output] == want.tolist()
    js = r.to_json()
    assert js["output"] == (r.output[0] if len(k) == 1 else list(r.output))
    assert len(js["steps"]) == want.numel()
    for step in js["steps"]:
        assert step["text"].endswith(f"= {step['value']}")
    if len(x) == 1 and len(k) == 1:
        dropped_or_skipped = tuple(sorted(r.rows.dropped + r.rows.skipped))
        assert dropped_or_skipped == _torch_dropped_rows(x[0], k[0][0], s, p, d)


@SETTINGS
@given(c=st.integers(1, 2), h=st.integers(1, 7), w=st.integers(1, 7), k=st.integers(1, 3), s=st.integers(1, 3),
       p=st.integers(0, 1), d=st.integers(1, 2), mode=st.sampled_from(["max", "avg"]), data=st.data())
def test_pool2d_and_its_backward_match_torch_autograd(c, h, w, k, s, p, d, mode, data):
    if mode == "avg":
        d = 1
    span = d * (k - 1) + 1
    assume(span <= h + 2 * p and span <= w + 2 * p and p <= k // 2)
    # a max window that reads only padding is refused (torch returns -inf and its backward corrupts memory)
    assume(mode == "avg" or (padding_only_window(h, k, s, p, d, (h + 2 * p - span) // s + 1) is None
                             and padding_only_window(w, k, s, p, d, (w + 2 * p - span) // s + 1) is None))
    x = [[[data.draw(st.integers(-4, 4)) for _ in range(w)] for _ in range(h)] for _ in range(c)]
    r = pool2d(x, k, stride=s, padding=p, dilation=d, mode=mode)
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    if mode == "max":
        y = F.max_pool2d(t, k, stride=s, padding=p, dilation=d)
    else:
        y = F.avg_pool2d(t, k, stride=s, padding=p)
    assert [[list(map(float, row)) for row in m] for m in r.output] == y[0].tolist()
    g = [[[data.draw(st.integers(-3, 3)) for _ in range(y.shape[3])] for _ in range(y.shape[2])] for _ in range(c)]
    y.backward(torch.tensor([g], dtype=torch.float64))
    back = pool_backward(r, g)
    got = torch.tensor([[[float(v) for v in row] for row in m] for m in back.grad_input], dtype=torch.float64)
    assert torch.allclose(got, t.grad[0], rtol=0, atol=1e-12), (got, t.grad[0])


def test_bad_input_names_the_field():
    cases = [
        (lambda: conv2d("0 1 2; 3 4", "1"), "input", "row 2 has 2 values but row 1 has 3"),
        (lambda: conv2d("0 1; 2 3", "1 1 1; 1 1 1; 1 1 1"), "kernel", "larger than the padded input"),
        (lambda: conv2d("0 1; 2 3", "1", stride=0), "stride", "≥ 1"),
        (lambda: conv2d("0 1; 2 3 | 4 5; 6 7", "1"), "kernel", "one matrix per input channel"),
        (lambda: conv2d("0 1; 2 x", "1"), "input", "'x' is not a number"),
        (lambda: conv2d("0 1; 2 3", "1", padding="huge"), "padding", "narrow"),
        (lambda: pool2d("0 1; 2 3", 2, mode="min"), "mode", "max or avg"),
        (lambda: pool2d("0 1; 2 3", 2, padding=2), "padding", "half the window"),
        (lambda: pool2d("0 1; 2 3", 3), "size", "larger than the padded input"),
    ]
    for fn, field, words in cases:
        with pytest.raises(LabError) as e:
            fn()
        assert e.value.field == field and words in str(e.value), (field, str(e.value))


def test_parse_matrix_accepts_commas_and_newlines():
    assert parse_matrix("1, 2\n3, 4") == [[1, 2], [3, 4]]
    assert parse_matrix("1.5 -2; 1e-3 0") == [[1.5, -2], [0.001, 0]]


def test_a_max_window_of_only_padding_is_refused():
    """kernel 2, padding 1, dilation 2 on one row: the only window's taps are the two padding rows. torch returns
    -inf for it and its backward pass writes out of bounds (it aborted the test process), so the lab refuses."""
    with pytest.raises(LabError) as e:
        pool2d([[1, 2, 3, 4]], 2, stride=1, padding=1, dilation=2, mode="max")
    assert e.value.field == "padding" and "reads only padding" in str(e.value)
    assert padding_only_window(1, 2, 1, 1, 2, 1) == 0
    assert padding_only_window(4, 2, 1, 1, 2, 3) is None
