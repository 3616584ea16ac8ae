"""`tui-dl lab NAME`: the worked numbers as text, the README's JSON shapes, one-line errors with exit code 2, and no
torch for the labs that don't race torch's optimizers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui_dl.cli.main import main

UI_LIBS = {"textual", "rich", "plotext", "textual_plotext"}


def lab(capsys, *args):
    rc = main(["lab", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def lab_json(capsys, *args):
    rc, out, err = lab(capsys, *args, "--json")
    assert rc == 0, err
    return json.loads(out)


def test_conv_prints_the_courses_example(capsys):
    rc, out, _ = lab(capsys, "conv", "--input", "0 1 2; 3 4 5; 6 7 8", "--kernel", "0 1; 2 3")
    assert rc == 0
    assert "y[0,0] = 0×0 + 1×1 + 3×2 + 4×3 = 19" in out and "⌊(3 + 2×0 − 2)/1⌋ + 1 = 2" in out
    js = lab_json(capsys, "conv", "--input", "0 1 2; 3 4 5; 6 7 8", "--kernel", "0 1; 2 3")
    assert js == {"output": [[19, 25], [37, 43]],
                  "steps": [{"row": 0, "col": 0, "value": 19, "text": "0×0 + 1×1 + 3×2 + 4×3 = 19"},
                            {"row": 0, "col": 1, "value": 25, "text": "1×0 + 2×1 + 4×2 + 5×3 = 25"},
                            {"row": 1, "col": 0, "value": 37, "text": "3×0 + 4×1 + 6×2 + 7×3 = 37"},
                            {"row": 1, "col": 1, "value": 43, "text": "4×0 + 5×1 + 7×2 + 8×3 = 43"}]}
    assert lab_json(capsys, "conv") == js  # the course's example is the default


def test_conv_options_channels_and_the_dropped_row_flag(capsys):
    rc, out, _ = lab(capsys, "conv", "--input", "1 2 3 4 5; 1 2 3 4 5; 1 2 3 4 5; 1 2 3 4 5; 1 2 3 4 5",
                     "--kernel", "1 1; 1 1", "--stride", "2")
    assert rc == 0 and "PyTorch silently drops input row 4" in out and "⚠" in out
    js = lab_json(capsys, "conv", "--input", "1 2; 3 4 | 5 6; 7 8", "--kernel", "1 0; 0 1 | 0 0; 0 1",
                  "--kernel", "0 0; 0 0 | 1 1; 1 1", "--padding", "same")
    assert len(js["output"]) == 2 and js["output"][1] == [[26, 14], [15, 8]]
    assert js["steps"][0]["channel"] == 0 and {"row", "col", "value", "text"} <= set(js["steps"][0])
    wide = lab_json(capsys, "conv", "--kernel", "0 1; 2 3", "--padding", "wide", "--dilation", "1")
    assert len(wide["output"]) == 4


def test_pool_max_avg_and_backward(capsys):
    js = lab_json(capsys, "pool", "--input", "1 3 2 4; 5 6 7 8; 3 2 1 0; 9 8 7 6", "--size", "2", "--stride", "2",
                  "--mode", "max")
    assert js["output"] == [[6, 8], [9, 7]] and js["steps"][0]["text"] == "max(1, 3, 5, 6) = 6"
    assert set(js) == {"output", "steps"}
    back = lab_json(capsys, "pool", "--backward")
    assert back["backward"]["grad_input"] == [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]]
    rc, out, _ = lab(capsys, "pool")
    assert "x[1,1] (the window's max, 6)" in out
    assert lab_json(capsys, "pool", "--mode", "avg")["output"] == [[3.75, 5.25], [5.5, 3.5]]


def test_activations_and_softmax(capsys):
    js = lab_json(capsys, "activations", "--fn", "sigmoid", "--at", "-2,0,2")
    assert js["fn"] == "sigmoid" and [p["x"] for p in js["points"]] == [-2.0, 0.0, 2.0]
    assert round(js["points"][0]["f"], 4) == 0.1192 and round(js["points"][0]["df"], 3) == 0.105
    rc, out, _ = lab(capsys, "activations", "--fn", "leakyrelu", "--at", "-1", "--param", "negative_slope=0.2")
    assert rc == 0 and "LeakyReLU(-1) = 0.2·(-1) = -0.2" in out
    sm = lab_json(capsys, "softmax", "--input", "1 2 3", "--temperature", "2")
    assert sm["temperature"] == 2 and abs(sum(sm["output"]) - 1) < 1e-12 and len(sm["steps"]) == 3


def test_backprop(capsys):
    js = lab_json(capsys, "backprop", "--seed", "0", "--activation", "sigmoid", "--loss", "mse", "--lr", "0.5")
    for key in ("activation", "loss", "lr", "x", "target", "W1", "b1", "W2", "b2", "forward", "loss_value",
                "grads", "updated"):
        assert key in js
    assert js["activation"] == "sigmoid" and js["loss"] == "mse" and js["lr"] == 0.5
    lin = lab_json(capsys, "backprop", "--output", "linear")
    assert lin["output"] == "linear" and lin["forward"]["y"] == lin["forward"]["z2"]
    rc, out, _ = lab(capsys, "backprop", "--activation", "relu", "--loss", "bce", "--check")
    assert rc == 0 and "④ forward pass" in out and "② update" in out and "check with autograd" in out and "✓" in out
    edited = lab_json(capsys, "backprop", "--W2", "1 1 1", "--x", "0.5 -0.5", "--target", "0")
    assert edited["W2"] == [[1.0, 1.0, 1.0]] and edited["x"] == [0.5, -0.5]


def test_losses(capsys):
    js = lab_json(capsys, "losses", "--pred", "0.7 0.2 0.1", "--target", "1 0 0", "--curve", "11")
    assert set(js["losses"]) == {"mse", "mae", "ce", "bce", "focal"}
    assert abs(js["losses"]["ce"]["value"] + __import__("math").log(0.7)) < 1e-12
    assert len(js["curve"]["p"]) == 11 and set(js["curve"]) == {"p", "mse", "mae", "ce", "bce", "focal"}
    rc, out, _ = lab(capsys, "losses", "--pred", "0.9", "--target", "1")
    assert rc == 0 and "CE = −(1·log 0.9) = 0.1054" in out


def test_optimizers(capsys):
    js = lab_json(capsys, "optimizers", "--surface", "rosenbrock", "--steps", "200")
    assert set(js) == {"surface", "start", "steps", "results"} and js["steps"] == 200
    assert set(js["results"]) == {"gd", "sgd", "momentum", "adagrad", "rmsprop", "adam"}
    assert set(js["results"]["adam"]) == {"end", "loss", "steps_to_tol"}
    gold = lab_json(capsys, "optimizers", "--surface", "quadratic:0.1,2", "--start", "-5,-2", "--steps", "20",
                    "--only", "adagrad", "--lr", "0.4", "--variant", "textbook")
    assert [round(v, 6) for v in gold["results"]["adagrad"]["end"]] == [-2.382563, -0.158591]
    rc, out, _ = lab(capsys, "optimizers", "--surface", "saddle", "--steps", "30", "--variant", "both",
                     "--show-step", "3", "--lr", "adam=0.2,gd=0.05")
    assert rc == 0 and "momentum_textbook" in out and "adam step 3:" in out and "torch vs the textbook" in out


@pytest.mark.parametrize("args, option, words", [
    (["conv", "--input", "0 1 2; 3 4"], "--input", "row 2 has 2 values but row 1 has 3"),
    (["conv", "--kernel", "1 1 1 1; 1 1 1 1; 1 1 1 1; 1 1 1 1"], "--kernel", "larger than the padded input"),
    (["conv", "--stride", "two"], "--stride", "not a whole number"),
    (["conv", "--padding", "same", "--stride", "2"], "--padding", "needs stride 1"),
    (["pool", "--mode", "median"], "--mode", "max or avg"),
    (["activations", "--fn", "swish"], "--fn", "choose one of"),
    (["activations", "--at", "a,b"], "--at", "not a number"),
    (["softmax", "--temperature", "-1"], "--temperature", "positive"),
    (["backprop", "--loss", "hinge"], "--loss", "mse or bce"),
    (["backprop", "--activation", "swish"], "--activation", "choose one of"),
    (["backprop", "--W1", "1 2; 3 4"], "--W1", "must be 3×2"),
    (["losses", "--pred", "0.5 0.5", "--target", "1 0 0"], "--target", "one target per prediction"),
    (["optimizers", "--surface", "volcano"], "--surface", "choose one of"),
    (["optimizers", "--lr", "lion=0.1"], "--lr", "unknown optimizer"),
    (["optimizers", "--steps", "many"], "--steps", "invalid int"),
    (["alchemy"], "unknown lab", "choose one of"),
    ([], "NAME", "required"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, option, words):
    rc, out, err = lab(capsys, *args)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and option in err and words in err, err
    assert "Traceback" not in err


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}


def test_the_labs_that_need_no_torch_load_none():
    code = ("from tui_dl.cli.main import main\nimport io, contextlib\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    for name in ('activations', 'softmax', 'conv', 'pool', 'backprop', 'losses'):\n"
            "        assert main(['lab', name]) == 0 and main(['lab', name, '--json']) == 0\n"
            "    import tui_dl.core.labs.surfaces, tui_dl.core.labs.optimizers\n")
    mods = _loaded_after(code)
    assert "torch" not in mods and not mods & UI_LIBS


def test_subprocess_on_an_ascii_stream():
    r = subprocess.run([sys.executable, "-m", "tui_dl", "lab", "conv"], capture_output=True, text=True,
                       env={**__import__("os").environ, "PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0 and "0x0 + 1x1 + 3x2 + 4x3 = 19" in r.stdout and "Traceback" not in r.stderr


# ----------------------------------------------------------------------------- in Chinese (issue 20)

LAB_NAMES = ("activations", "softmax", "conv", "pool", "backprop", "losses", "optimizers")
#: what the help texts name as values to type (activation and surface names, modes, variants, losses)
LAB_CODE = {"sigmoid", "tanh", "relu", "leakyrelu", "elu", "gelu", "silu", "softplus", "bowl", "rosenbrock",
            "saddle", "minima", "quadratic", "narrow", "same", "wide", "max", "avg", "mse", "bce", "linear",
            "textbook", "both", "autograd", "focal", "loss", "MSE", "MAE", "BCE", "momentum", "adagrad", "rmsprop",
            "adam", "tol"}


def lab_help(capsys, *args):
    with pytest.raises(SystemExit) as e:
        main(["lab", *args, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


@pytest.mark.usefixtures("chinese")
@pytest.mark.parametrize("name", [None, *LAB_NAMES])
def test_help_in_chinese(capsys, name):
    from tests.cli_text_zh import english_words, has_chinese

    out = lab_help(capsys, "--lang", "zh", *([name] if name else []))
    assert has_chinese(out)
    assert english_words(out, LAB_CODE | set(LAB_NAMES)) == [], out
    if name is None:
        assert "学习实验室：用小数字把课程里的概念一步步算出来。" in out and "手算二维卷积" in out


@pytest.mark.parametrize("name", LAB_NAMES)
def test_help_in_english_is_unchanged(capsys, name):
    from tests.cli_text_zh import has_chinese

    out = lab_help(capsys, name)
    assert not has_chinese(out) and "machine-readable output (shapes in the README)" in out
    assert "The Learn labs: the course's ideas worked out on small numbers." in lab_help(capsys)


@pytest.mark.usefixtures("chinese")
def test_a_run_and_its_errors_in_chinese(capsys):
    rc, out, _ = main(["lab", "--lang", "zh", "backprop", "--check"]), *capsys.readouterr()
    assert rc == 0 and "用 autograd 核对（torch，float64）：最大的 |手算 − autograd| = " in out and "✓" in out
    assert "check with autograd" not in out
    for args, words in ((["alchemy"], "tui-dl lab：没有实验室 'alchemy'；可选：activations, softmax"),
                        (["conv", "--stride", "two"], "--stride：'two' 不是整数"),
                        (["activations", "--param", "slope"], "--param：请写成 KEY=VALUE"),
                        (["optimizers", "--lr", "lion=0.1"], "--lr：没有优化器 'lion'"),
                        (["optimizers", "--lr", "fast"], "--lr：'fast' 不是数字"),
                        (["optimizers", "--start", "1"], "--start：请给出 2 个用逗号分隔的数"),
                        (["conv", "--bogus"], "（见 tui-dl lab --help）")):
        rc, out, err = lab(capsys, "--lang", "zh", *args)
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and words in err, err


def test_help_wraps_chinese_by_cells_and_english_as_argparse_does(monkeypatch):
    import argparse

    from tui_dl.cli.help_format import CellHelpFormatter, wrap_cells
    from tui_dl.cli.lab import build_parser
    from tui_dl.core.i18n import text_width

    lines = wrap_cells("攻击一个训练好的模型：在测试集上求准确率随 ε（扰动大小）的变化（FGSM 或 PGD），写入 attack.json。", 20)
    assert all(text_width(line) <= 20 for line in lines) and "".join(lines).replace(" ", "") == \
        "攻击一个训练好的模型：在测试集上求准确率随ε（扰动大小）的变化（FGSM或PGD），写入attack.json。"
    assert not any(line[0] in "，。：）" or line[-1] in "（" for line in lines), lines
    assert wrap_cells("一个 RUN/best.pt 检查点", 6) == ["一个", "RUN/best.pt", "检查点"]  # a long word stays whole
    monkeypatch.setenv("COLUMNS", "80")
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, sp in sub.choices.items():
        assert sp.formatter_class is CellHelpFormatter
        mine = sp.format_help()
        sp.formatter_class = argparse.HelpFormatter
        assert sp.format_help() == mine, name  # English: byte for byte argparse's own wrapping


@pytest.mark.usefixtures("chinese")
def test_chinese_help_fits_80_columns(capsys, monkeypatch):
    from tui_dl.core.i18n import text_width

    monkeypatch.setenv("COLUMNS", "80")
    for name in LAB_NAMES:
        out = lab_help(capsys, "--lang", "zh", name)
        assert max(text_width(line) for line in out.splitlines()) <= 80, out
