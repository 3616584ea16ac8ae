"""`tui-dl attack RUN_OR_CKPT`: the accuracy-against-ε table, attack.json (the same object --json prints), --show
with half blocks on a terminal, and one-line errors with exit code 2 for bad input (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui_dl.cli.main import main
from tui_dl.core.insight.attack_settings import CONVENTION, DEFAULT_EPS


def attack(capsys, *args):
    rc = main(["attack", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def run(insight_run):
    return insight_run[0]


@pytest.fixture(scope="module")
def clean_accuracy(run):
    from tui_dl.core.insight.gallery import predictions
    from tui_dl.core.insight.model_io import load_trained

    return predictions(load_trained(run)).accuracy


def test_the_table_and_attack_json(capsys, run, clean_accuracy):
    rc, out, err = attack(capsys, run, "--eps", "0,0.1,0.3", "--device", "cpu")
    assert rc == 0, err
    saved = json.loads((run / "attack.json").read_text())
    assert list(saved)[:3] == ["eps", "accuracy", "n"]
    assert saved["eps"] == [0.0, 0.1, 0.3] and saved["n"] == 600 and len(saved["accuracy"]) == 3
    assert saved["accuracy"][0] == clean_accuracy and saved["accuracy"][2] < saved["accuracy"][0]
    lines = out.splitlines()
    assert "FGSM on all 600 test images" in out and "ε/σ" in out and CONVENTION in out
    row = next(line for line in lines if line.startswith("0.100"))
    assert f"{0.1 / 0.3017:.3f}"[:4] in row and f"{100 * saved['accuracy'][1]:.2f}%" in row
    assert lines[-1].startswith(f"wrote {run / 'attack.json'}")


def test_json_prints_the_object_attack_json_holds(capsys, run):
    rc, out, err = attack(capsys, run / "last.pt", "--json", "--limit", "100")
    assert rc == 0, err
    printed = json.loads(out)
    assert printed == json.loads((run / "attack.json").read_text())
    assert printed["eps"] == list(DEFAULT_EPS) and printed["n"] == 100 and printed["method"] == "fgsm"
    assert printed["convention"] == CONVENTION


def test_pgd_and_a_targeted_attack(capsys, run):
    rc, out, err = attack(capsys, run, "--method", "pgd", "--steps", "2", "--limit", "60", "--eps", "0,0.2",
                          "--json")
    assert rc == 0, err
    js = json.loads(out)
    assert js["method"] == "pgd" and js["steps"] == 2 and js["random_start"] is True and js["n"] == 60
    rc, out, err = attack(capsys, run, "--target", "3", "--limit", "100", "--eps", "0,0.2")
    assert rc == 0, err
    assert "targeted: make it say 3" in out and "said 3" in out
    js = json.loads((run / "attack.json").read_text())
    assert js["target"] == 3 and js["target_rate"][0] == 0.0 and js["target_rate"][1] > 0


def test_show_one_image_without_a_terminal(capsys, run):
    (run / "attack.json").unlink(missing_ok=True)
    rc, out, err = attack(capsys, run, "--show", 3, "--eps", "0.2")
    assert rc == 0, err
    assert "test image 3: true class" in out and "original" in out and "adversarial, ε=0.2" in out
    assert "before: " in out and "after FGSM at ε = 0.2" in out and "smallest ε that flips it" in out
    assert "\x1b[" not in out and "▀" not in out  # not a terminal: characters, no escapes
    assert "+" in out or "-" in out
    assert not (run / "attack.json").exists()  # one image is not a table
    rc, out, err = attack(capsys, run, "--show", 3, "--json")
    js = json.loads(out)
    assert js["index"] == 3 and js["eps"] == 0.1 and {"class", "confidence"} <= set(js["before"])
    assert js["pixels"] == 784 and 0 <= js["cut_pixels"] <= 784


def test_show_draws_half_blocks_on_a_terminal(run):
    from tui_dl.cli.attack import _pictures
    from tui_dl.core.insight.attacks import example
    from tui_dl.core.insight.model_io import load_trained

    ex = example(load_trained(run), 3, 0.1)
    lines = _pictures(ex, color=True, width=None)
    assert lines[0].startswith("original") and len(lines) == 1 + 14
    assert all("▀" in line and line.startswith("\x1b[") for line in lines[1:])
    assert len(_pictures(ex, color=False, width=14)) == 1 + 7


@pytest.mark.parametrize("args,words", [
    (["{tmp}/nope"], "no such run folder or checkpoint"),
    (["{tmp}"], "not a tui-dl run folder"),
    (["{run}", "--eps", "2"], "--eps: 2 is outside [0, 1]"),
    (["{run}", "--eps", "a,0.1"], "--eps: 'a' is not a number"),
    (["{run}", "--eps", "-0.1"], "--eps: -0.1 is outside"),
    (["{run}", "--eps", "0,,1"], "--eps: "),
    (["{run}", "--steps", "3"], "--steps applies to --method pgd only"),
    (["{run}", "--method", "pgd", "--steps", "0"], "--steps: 0"),
    (["{run}", "--method", "xyz"], "invalid choice"),
    (["{run}", "--target", "42"], "--target: '42' is not a class of this run"),
    (["{run}", "--target", "cat"], "--target: 'cat'"),
    (["{run}", "--show", "9999"], "--show: image 9999 does not exist"),
    (["{run}", "--show", "1", "--eps", "0.1,0.2"], "--eps: --show draws one ε"),
    (["{run}", "--limit", "0"], "--limit: 0"),
    (["{run}", "--limit", "many"], "--limit: invalid int value"),
    (["{run}", "--bogus"], "unrecognized arguments: --bogus"),
    ([], "the following arguments are required: RUN_OR_CKPT"),
    (["{run}", "--device", "cuda:7"], "--device: "),
])
def test_bad_input_is_one_line_and_exit_2(capsys, run, tmp_path, args, words):
    args = [a.format(tmp=tmp_path, run=run) for a in args]
    rc, out, err = attack(capsys, *args)
    assert rc == 2 and out == ""
    assert err.startswith("tui-dl attack: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in err
    if args and "nope" in args[0]:
        assert args[0] in err


def test_a_folder_that_cannot_be_written_exits_1_after_printing(capsys, run, monkeypatch):
    import tui_dl.core.runs.atomic as atomic

    def refuse(path, write, binary=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "atomic_write", refuse)
    rc, out, err = attack(capsys, run, "--eps", "0", "--limit", "10")
    assert rc == 1 and "0.000" in out
    assert err.strip() == f"tui-dl attack: could not write {run / 'attack.json'}: Permission denied"


def test_option_mistakes_are_reported_before_torch_loads(tmp_path):
    code = ("import sys, io, contextlib, json\nfrom tui_dl.cli.main import main\n"
            "with contextlib.redirect_stderr(io.StringIO()):\n    rc = main(['attack', 'nowhere', '--eps', '2'])\n"
            "print(json.dumps([rc, sorted(sys.modules)]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rc, mods = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 2 and "torch" not in {m.split(".")[0] for m in mods}


# ----------------------------------------------------------------------------- in Chinese (issue 20)

ATTACK_CODE = {"fgsm", "pgd", "auto", "mps"}


def _own_text(out: str) -> str:
    """The output without the names it quotes (the run's and the dataset's): every other word is translated,
    the run's description and the convention included."""
    return out.replace("insight-lenet", " ").replace("synthetic-digits", " ")


def test_help_in_english_is_unchanged(capsys):
    from tests.cli_text_zh import has_chinese

    with pytest.raises(SystemExit):
        main(["attack", "--help"])
    out = capsys.readouterr().out
    assert not has_chinese(out) and "Attack a trained model: accuracy against ε over the test set" in out
    assert "attack only the first N test images" in out


@pytest.mark.usefixtures("chinese")
def test_help_in_chinese(capsys, monkeypatch):
    from tests.cli_text_zh import english_words, has_chinese
    from tui_dl.core.i18n import text_width

    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["attack", "--lang", "zh", "--help"])
    out = capsys.readouterr().out
    assert has_chinese(out) and "攻击一个训练好的模型" in out and "只攻击前 N 张测试图像" in out
    assert english_words(out, ATTACK_CODE) == [], out
    assert max(text_width(line) for line in out.splitlines()) <= 80, out  # wrapped by cells, not characters


@pytest.mark.usefixtures("chinese")
def test_the_table_in_chinese_has_its_columns_lined_up(capsys, run):
    from tests.cli_text_zh import column_ends, english_words

    rc, out, err = attack(capsys, "--lang", "zh", run, "--target", "3", "--limit", "100", "--eps", "0,0.2")
    assert rc == 0, err
    assert "FGSM，定向攻击（让模型判为 3），攻击测试集中的前 100 张图像；ε 以像素为单位" in out
    assert "“判为 3”：其他类别的图像中，被模型判为 3 的比例。" in out and "已写入 " in out and " 秒）" in out
    assert english_words(_own_text(out)) == [], out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if "准确率" in line)
    table = lines[head:head + 3]
    assert table[0].split() == ["ε", "ε/σ", "准确率", "判为", "3"]
    assert len({tuple(column_ends(line)) for line in table}) == 1, table  # every column ends where its header does
    assert json.loads((run / "attack.json").read_text())["target"] == 3  # the file does not change with the language


@pytest.mark.usefixtures("chinese")
def test_pgd_and_one_image_in_chinese(capsys, run):
    from tests.cli_text_zh import english_words

    rc, out, err = attack(capsys, "--lang", "zh", run, "--method", "pgd", "--steps", "2", "--limit", "30",
                          "--eps", "0,0.1")
    assert rc == 0, err
    assert "PGD，2 步，步长 2.5·ε/步数，随机起点，攻击测试集中的前 30 张图像" in out
    assert english_words(_own_text(out)) == [], out
    rc, out, err = attack(capsys, "--lang", "zh", run, "--show", 3, "--eps", "0.2")
    assert rc == 0, err
    assert "测试图像 3：真实类别 " in out and "使预测改变的最小 ε（FGSM）：" in out and "攻击前：" in out
    head = next(line for line in out.splitlines() if line.startswith("原图"))
    assert "扰动的符号" in head and "对抗样本，ε=0.2" in head
    assert english_words(_own_text(out)) == [], out


@pytest.mark.usefixtures("chinese")
def test_the_picture_titles_are_cut_and_padded_in_cells(run):
    from tui_dl.cli.attack import _pictures
    from tui_dl.core.i18n import set_language, text_width
    from tui_dl.core.insight.attacks import example
    from tui_dl.core.insight.model_io import load_trained

    ex = example(load_trained(run), 3, 0.1)
    head = _pictures(ex, color=False, width=14)[0]
    assert head == "原图" + " " * 10 + "   扰动的符号" + " " * 4 + "   对抗样本，ε=0."  # 14 cells each, cut in cells
    set_language("en")
    english = _pictures(ex, color=False, width=14)[0]
    assert english == "original         perturbation s   adversarial, ε"  # cut to 14, as before
    assert text_width(head) == text_width(english) == 14 * 3 + 6


@pytest.mark.usefixtures("chinese")
def test_progress_and_errors_in_chinese(capsys, run, tmp_path, monkeypatch):
    import io

    from tui_dl.cli.attack import _progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    _progress(stream)(1, 3)
    assert stream.getvalue() == "\r  批次 1/3"
    for args, words in (([run, "--steps", "3"], "--steps 只适用于 --method pgd"),
                        ([run, "--no-random-start"], "--no-random-start 只适用于 --method pgd"),
                        ([run, "--limit", "0"], "--limit：0 不是正的图像数"),
                        ([run, "--target", "42"], "--target：'42' 不是这次运行的类别：请给出 0 到 9 的序号"),
                        ([run, "--method", "xyz"], "--method：无效的选择 'xyz'"),
                        ([run, "--show", "1", "--eps", "0.1,0.2"], "--eps：--show 只画一个 ε，不能是 2 个"),
                        ([run, "--show", "1", "--method", "fgsm,pgd"], "--show 只用一种方法攻击一个运行"),
                        ([run, "--bogus"], "（见 tui-dl attack --help）")):
        rc, out, err = attack(capsys, "--lang", "zh", *args)
        assert rc == 2 and out == "" and err.count("\n") == 1 and words in err, err
    import tui_dl.core.runs.atomic as atomic

    def refuse(path, write, binary=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic, "atomic_write", refuse)
    rc, out, err = attack(capsys, "--lang", "zh", run, "--eps", "0", "--limit", "10")
    assert rc == 1 and err.startswith("tui-dl attack：无法写入 ")
