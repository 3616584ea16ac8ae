"""`tui-dl attack RUN1 RUN2 --method fgsm,pgd`: curves of several runs under FGSM and PGD side by side, and the
gradient-masking warning when FGSM accuracy is far above PGD accuracy at the same ε (core/insight/robustness.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from tui_dl.cli.main import main
from tui_dl.core.insight.robustness import MASKING_GAP, gradient_masking, masking_line


def test_gradient_masking_is_fgsm_far_above_pgd_at_the_same_eps():
    eps = [0.0, 0.1, 0.2, 0.3]
    masked = gradient_masking(eps, [0.99, 0.90, 0.85, 0.80], [0.99, 0.40, 0.05, 0.0])
    assert [m.eps for m in masked] == [0.1, 0.2, 0.3]
    line = masking_line("B", masked)
    assert line.startswith("B looks robust to FGSM but PGD breaks it: gradient masking")
    assert "at ε = 0.3 FGSM 80.00% vs PGD 0.00%" in line
    # a robust model (Madry et al.'s numbers) and a plain one are not flagged
    assert gradient_masking([0, 0.3], [0.98, 0.9636], [0.98, 0.9252]) == []
    assert gradient_masking([0, 0.1, 0.3], [0.99, 0.30, 0.01], [0.99, 0.05, 0.0]) == []  # plain: both fall
    assert gradient_masking([0, 0.1], [0.99, 0.50], [0.99, 0.05]) != []                   # keeps half under FGSM
    assert gradient_masking([0.1], [0.5 + MASKING_GAP], [0.5]) != []     # the gap itself counts
    assert masking_line("A", []) == ""
    with pytest.raises(ValueError):
        gradient_masking([0.1], [0.5, 0.4], [0.3])


def _fake(name, fgsm, pgd, train_eps=None):
    from tui_dl.core.insight.attacks import EpsCurve

    eps = [0.0, 0.1, 0.3]
    adv = None if train_eps is None else SimpleNamespace(eps=train_eps)
    t = SimpleNamespace(run_dir=Path(name), n_test=100, describe=lambda: f"net {name}",
                        experiment=SimpleNamespace(train=SimpleNamespace(adversarial=adv)))
    return t, {"fgsm": EpsCurve(eps, fgsm, 100, "fgsm"),
               "pgd": EpsCurve(eps, pgd, 100, "pgd", steps=10, random_start=True)}


def test_the_table_overlays_runs_and_methods_and_says_which_is_masked():
    from tui_dl.cli.attack_compare import comparison_json, comparison_table

    results = [_fake("plain", [0.99, 0.30, 0.01], [0.99, 0.10, 0.0]),
               _fake("fgsm-trained", [0.97, 0.85, 0.80], [0.97, 0.20, 0.01], train_eps=0.3),
               _fake("pgd-trained", [0.95, 0.90, 0.60], [0.95, 0.85, 0.30], train_eps=0.1)]
    lines = comparison_table(results, [0.0, 0.1, 0.3])
    text = "\n".join(lines)
    assert lines[0] == "A = plain  (net plain)" and lines[1] == "B = fgsm-trained  (net fgsm-trained)"
    head = next(line for line in lines if line.strip().startswith("ε"))
    assert head.split() == ["ε", "A", "FGSM", "A", "PGD", "B", "FGSM", "B", "PGD", "C", "FGSM", "C", "PGD"]
    row = next(line for line in lines if line.startswith("0.300"))
    assert row.split() == ["0.300", "1.00%", "0.00%", "80.00%", "1.00%", "60.00%", "30.00%"]
    assert "B looks robust to FGSM but PGD breaks it: gradient masking" in text
    assert "A looks robust" not in text
    # C falls to PGD only beyond the ε it was trained for: said, but not called masking
    assert "C looks robust" not in text
    assert "C was trained against ε = 0.1: FGSM is ≥ 20 points above PGD only beyond it (ε = 0.3)" in text
    assert "no gradient masking" not in text
    only_c = "\n".join(comparison_table([results[0], results[2]], [0.0, 0.1, 0.3]))
    assert "no gradient masking up to the ε each run was trained for" in only_c and "FGSM accuracy is less than" not in only_c
    assert "the trade: A 99.00% clean → 0.00% under PGD at ε = 0.3; B 97.00% clean → 1.00% under PGD" in text
    assert "FGSM 96.36%, PGD 92.52%" in text
    js = comparison_json(results)
    assert [r["run"] for r in js["runs"]] == ["plain", "fgsm-trained", "pgd-trained"]
    assert js["runs"][2]["gradient_masking"] == [] and js["runs"][2]["adversarial_training_eps"] == 0.1
    assert js["runs"][0]["gradient_masking"] == [] and js["runs"][1]["gradient_masking"][-1]["eps"] == 0.3


@pytest.fixture(scope="module")
def run(insight_run):
    return insight_run[0]


def test_two_runs_under_fgsm_and_pgd(capsys, run):
    rc = main(["attack", str(run), str(run / "best.pt"), "--eps", "0,0.2", "--method", "fgsm,pgd", "--steps", "2",
               "--limit", "60", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert out.startswith(f"A = {run}  (") and f"\nB = {run}  (" in out
    assert "A FGSM" in out and "B PGD" in out and "PGD: 2 steps of 2.5·ε/steps, random start" in out
    fg = json.loads((run / "attack-fgsm.json").read_text())
    pg = json.loads((run / "attack-pgd.json").read_text())
    assert fg["method"] == "fgsm" and pg["method"] == "pgd" and pg["steps"] == 2 and fg["n"] == 60
    assert pg["accuracy"][1] <= fg["accuracy"][1] + 0.05  # PGD is at least about as strong as FGSM
    rc = main(["attack", str(run), "--eps", "0,0.2", "--method", "fgsm,pgd", "--steps", "1", "--limit", "30",
               "--json", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    js = json.loads(out)
    assert set(js["runs"][0]["curves"]) == {"fgsm", "pgd"} and "reference" in js


@pytest.mark.parametrize("args, words", [
    (["--method", "fgsm,cw"], "--method: invalid choice 'fgsm,cw'"),
    (["--method", "pgd,pgd"], "--method: invalid choice"),
    (["--method", "fgsm,pgd", "--show", "1"], "--show attacks one run with one method"),
    (["{run2}", "--target", "3"], "--target attacks one run with one method"),
])
def test_compare_mistakes_are_one_line(capsys, run, args, words):
    args = [a.replace("{run2}", str(run)) for a in args]
    rc = main(["attack", str(run), *args])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and "Traceback" not in err


# ----------------------------------------------------------------------------- in Chinese (issue 20)


@pytest.mark.usefixtures("chinese")
def test_the_table_in_chinese():
    from tests.cli_text_zh import column_ends, english_words
    from tui_dl.cli.attack_compare import comparison_table
    results = [_fake("plain", [0.99, 0.30, 0.01], [0.99, 0.10, 0.0]),
               _fake("pgd-trained", [0.95, 0.90, 0.60], [0.95, 0.85, 0.30], train_eps=0.1)]
    lines = comparison_table(results, [0.0, 0.1, 0.3])
    text = "\n".join(lines)
    assert lines[0] == "A = plain  （net plain）" and "PGD：10 步，步长 2.5·ε/步数，随机起点；ε 以像素为单位" in text
    assert "取舍：A 无攻击 99.00% → 在 ε = 0.3 的 PGD 攻击下 0.00%；B 无攻击 95.00% → 在 ε = 0.3 的 PGD 攻击下 30.00%" in text
    assert "在每个运行训练时所用的 ε 以内，没有梯度掩蔽" in text and "参考：Madry 等人的 MNIST 挑战赛" in text
    head = next(i for i, line in enumerate(lines) if line.strip().startswith("ε"))
    assert len({tuple(column_ends(line)) for line in lines[head:head + 4]}) == 1
    # every line is translated, core/insight's too (the convention, the reference, the finding about run B)
    assert english_words(text, {"net", "plain", "pgd-trained", "Madry"}) == [], lines
    nomask = comparison_table([_fake("plain", [0.99, 0.30, 0.01], [0.99, 0.10, 0.0])], [0.0, 0.1, 0.3])
    assert "没有梯度掩蔽：在每个 ε 下，FGSM 的准确率比 PGD 的高出不到 20 个百分点" in "\n".join(nomask)


@pytest.mark.usefixtures("chinese")
def test_two_runs_in_chinese_and_the_files_stay_english(capsys, run):
    rc = main(["attack", "--lang", "zh", str(run), str(run / "best.pt"), "--eps", "0,0.2", "--method", "fgsm,pgd",
               "--steps", "1", "--limit", "30", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "；只攻击了前 30 张）" in out and "\n已写入 " in out and "取舍：" in out
    assert json.loads((run / "attack-pgd.json").read_text())["method"] == "pgd"
    rc = main(["attack", "--lang", "zh", str(run), str(run), "--method", "fgsm,pgd", "--device", "nowhere"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("tui-dl attack: --device：")
