"""The command line in Chinese (issue 20): each command's --help, its output on a tiny run and its errors are
Chinese under ``--lang zh`` (or LANG=zh_CN.UTF-8), its tables stay aligned by terminal cells (a Chinese character
takes two), and English (the default) is unchanged. Machine-readable output (--json, --csv) never changes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runs.helpers import TOY_YAML, train
from tui_dl.cli.main import COMMANDS, main
from tui_dl.core.i18n import text_width

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:  # argparse (--help, a bad option)
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def zh(*args):
    return cli(*args, "--lang", "zh")


def chinese_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if CJK.search(line)]


def column_starts(line: str, words: list[str]) -> list[int]:
    """The cell at which each of ``words`` starts in ``line`` (each searched after the previous one)."""
    out, at = [], 0
    for w in words:
        i = line.index(w, at)
        out.append(text_width(line[:i]))
        at = i + len(w)
    return out


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    train(root / "toy-run", epochs=2)
    return root / "toy-run"


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    from tests.test_export import NETS, make_checkpoint

    make, facts = NETS["lenet5"]
    return make_checkpoint(tmp_path_factory.mktemp("img") / "lenet5", make(), facts)


# ----------------------------------------------------------------------------- --help of every command


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - {"lab", "attack"}))
def test_every_commands_help_is_chinese(name, chinese):
    rc, out, err = zh(name, "--help")
    assert rc == 0, err
    assert out.startswith("用法: ") and "options" not in out and "show this help message" not in out
    described = out.split("\n\n")[1]  # the description, under the usage
    assert CJK.search(described), described
    assert_fits_and_usage_lines_up(out)


def assert_fits_and_usage_lines_up(out: str, columns: int = 80) -> None:
    """Every line of ``out`` fits ``columns`` cells (argparse wraps to the terminal's width less 2), and the
    usage's continuation lines start under its first option: a Chinese prefix is wider than it is long."""
    too_wide = [line for line in out.splitlines() if text_width(line) > columns]
    assert not too_wide, too_wide
    usage = out.split("\n\n")[0].splitlines()
    if len(usage) > 1:
        first = usage[0].split(" [", 1)[0] + " "  # "用法: tui-dl watch "
        assert all(text_width(line) - text_width(line.lstrip()) == text_width(first) for line in usage[1:]), usage


def test_the_main_help_is_chinese_and_its_command_table_aligned(chinese):
    rc, out, _err = zh("--help")
    assert rc == 0 and out.startswith("用法: ")
    assert_fits_and_usage_lines_up(out)
    table = [line for line in out.splitlines() if line.startswith("  ") and line.split()[0] in COMMANDS]
    assert len(table) == len(COMMANDS) and all(CJK.search(line) for line in table)
    assert len({column_starts(line, [line.split()[1]])[0] for line in table}) == 1  # one column of help texts


def test_help_stays_english_by_default():
    rc, out, _err = cli("runs", "--help")
    assert rc == 0 and out.startswith("usage: tui-dl runs") and "a Markdown table" in out and not CJK.search(out)


# ----------------------------------------------------------------------------- summary, presets, new, dry run


def test_summary_table_in_chinese_is_aligned_by_cells(chinese):
    rc, out, _err = zh("summary", "lenet5")
    assert rc == 0
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("#"))
    assert head.split() == ["#", "层", "输出形状", "参数量", "乘加次数", "计算式"]
    formula_at = column_starts(head, ["计算式"])[0]
    conv = next(line for line in lines if line.startswith("1 "))
    assert column_starts(conv, ["H, W:"])[0] == formula_at  # the formulas start under their heading
    params_end = column_starts(head, ["参数量"])[0] + text_width("参数量")
    assert column_starts(conv, ["156"])[0] + 3 == params_end  # numbers right-aligned under theirs
    assert "预设 lenet5" in lines[0] and "总参数量：61,706" in out and "每个样本的乘加次数：416,520" in out
    assert "Total params" not in out


def test_the_formula_column_wraps_chinese_by_cells():
    from tui_dl.cli.report import _wrap

    text = "✗ in_features 设为 720，但上一层输出 360 个特征。请把 in_features 设为 360（或不写它，tui-dl 会自动推断）。"
    for width in (20, 28, 40):
        lines = _wrap(text, width)
        assert all(text_width(line) <= width for line in lines), lines
        assert lines[0].startswith("✗ in_features 设为") and all(line.startswith("  ") for line in lines[1:])
        assert "".join(line.strip() for line in lines).replace(" ", "") == text.replace(" ", "")
    assert _wrap("stride defaults to kernel_size = 2", 30) == ["stride defaults to kernel_size", "  = 2"]


def test_summary_english_unchanged():
    rc, out, _err = cli("summary", "lenet5")
    assert rc == 0
    assert out.splitlines()[1].split() == ["#", "Layer", "Output", "shape", "Params", "Mult-adds", "Formula"]
    assert "Total params: 61,706   (trainable 61,706; buffers 0)" in out and "(preset lenet5)" in out


def test_presets_and_new_in_chinese(chinese, tmp_path):
    rc, out, _err = zh("presets")
    assert rc == 0 and out.startswith("随 tui-dl 安装的预设") and "打开：tui-dl lenet5" in out
    # the presets' titles and descriptions (English in the YAML files) are in the catalog, read from the files
    line = next(x for x in out.splitlines() if x.split()[:1] == ["resnet_small"])
    assert "小型 ResNet——小型残差 CNN：两个带批归一化的跳跃连接块" in line, line
    assert all(any("\u4e00" <= c <= "\u9fff" for c in x.split(None, 1)[1]) for x in out.splitlines()[1:-1]), out
    rc, out, err = zh("new", tmp_path / "mine.yaml")
    assert rc == 0 and out.startswith(f"已写入 {tmp_path / 'mine.yaml'}（预设 lenet5 的副本）"), err
    rc, out, err = zh("new", tmp_path / "mine.yaml")
    assert rc == 2 and err == f"tui-dl new：{tmp_path / 'mine.yaml'} 已存在；请换个名字，或用 --force 覆盖它\n"
    rc, _out, err = zh("new", tmp_path / "x.yaml", "--from", "nope")
    assert rc == 2 and "没有这个预设" in err
    rc, _out, err = cli("new", tmp_path / "mine.yaml")  # English unchanged
    assert err == (f"tui-dl new: {tmp_path / 'mine.yaml'} already exists; choose another name, or replace it "
                   "with --force\n")


def test_dry_run_in_chinese(chinese, tmp_path):
    toy = tmp_path / "toy.yaml"
    toy.write_text(TOY_YAML.replace("EPOCHS", "3"))
    rc, out, err = zh(toy, "--dry-run")
    assert rc == 0, err
    assert "试运行：`tui-dl --batch` 将会做的事" in out and out.rstrip().endswith("试运行：没有训练，也没有写入任何文件。")
    after = out.split("试运行：`tui-dl --batch` 将会做的事", 1)[1]
    plan = [line for line in after.splitlines() if line.startswith("  ") and CJK.search(line[:14])]
    labels = [line.split()[0] for line in plan]
    assert labels[:2] == ["设备", "数据集"] and "计划" in labels and "运行文件夹" in labels
    assert {column_starts(line, [line.split()[1]])[0] for line in plan} == {14}  # values in one column
    assert "3 轮 × 每轮" in out and "（尚未创建）" in out
    rc, out, _err = cli(toy, "--dry-run")
    assert "dry run: what `tui-dl --batch` would do" in out and "3 epochs × " in out and not CJK.search(out)


# ----------------------------------------------------------------------------- runs, check, watch


def test_runs_table_in_chinese_is_aligned_and_csv_json_stay_english(chinese, toy_run):
    rc, out, _err = zh("runs", toy_run.parent)
    assert rc == 0
    head, row = out.splitlines()
    assert head.split()[:5] == ["运行", "实验", "数据集", "状态", "轮数"] and "已完成" in row
    # every column's text starts (left-aligned) or ends (right-aligned) where its heading does
    assert column_starts(head, ["状态"]) == column_starts(row, ["已完成"])
    assert column_starts(head, ["轮数"])[0] + text_width("轮数") == column_starts(row, ["2/2"])[0] + 3
    rc, out, _err = zh("runs", toy_run.parent, "--csv")
    assert out.splitlines()[0].startswith("path,") and "finished" in out and not CJK.search(out)
    rc, out, _err = zh("runs", toy_run.parent, "--json")
    assert json.loads(out)[0]["status"] == "finished"
    rc, out, _err = zh("runs", toy_run.parent, "--md")
    assert out.startswith("| 运行 | 实验 | 数据集 | 状态 |")
    rc, out, _err = cli("runs", toy_run.parent)
    assert out.split()[:4] == ["run", "experiment", "dataset", "status"] and "finished" in out


def test_check_in_chinese(chinese, toy_run, tmp_path):
    rc, out, _err = zh("check", toy_run, "-e", "epochs<=5", "-e", "status==completed")
    assert rc == 0 and out == f"ok：{toy_run} 满足全部 2 条预期\n"
    rc, _out, err = zh("check", toy_run.parent, "-e", "epochs<=5")
    assert rc == 2 and "不是运行文件夹，但里面有 1 个运行文件夹" in err
    rc, _out, err = zh("check", tmp_path / "nope", "-e", "epochs<=5")
    assert rc == 2 and err.endswith("nope：没有这个运行文件夹\n")
    rc, out, _err = cli("check", toy_run, "-e", "epochs<=5")
    assert out == f"ok: 1 expectation holds for {toy_run}\n"


def test_watch_prints_a_finished_run_in_chinese(chinese, toy_run):
    rc, out, err = zh("watch", toy_run, "--interval", "0.01")
    assert rc == 0, err
    assert "测试准确率" in out and f"运行文件夹：{toy_run}" in out and "test accuracy" not in out
    assert re.search(r"^第 2/2 轮  训练损失 ", out, re.M)
    rc, _out, err = zh("watch", toy_run, "--wait", "-1")
    assert rc == 2 and err == "tui-dl watch：--wait 必须在 0 到 86400 秒之间\n"


# ----------------------------------------------------------------------------- predict, export


def test_predict_in_chinese_and_json_unchanged(chinese, image_run, tmp_path):
    import numpy as np
    from PIL import Image

    img = tmp_path / "d.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8), "L").save(img)
    rc, out, err = zh("predict", image_run, img)
    assert rc == 0 and err.startswith("LeNet-5（") and "第 3 轮" in err, err
    assert out.startswith(f"{img}: ") and len(out.splitlines()) == 4
    rc, out, _err = zh("predict", image_run, img, "--json")
    assert set(json.loads(out)) == {"model", "predictions"}
    rc, _out, err = zh("predict", image_run, "--top", "0")
    assert rc == 2 and err == "tui-dl predict：--top 0：请给出 1 或更大的数\n"
    rc, _out, err = cli("predict", image_run, img)
    assert err.startswith("LeNet-5 (") and ", epoch 3)" in err


def test_export_in_chinese(chinese, image_run, tmp_path):
    rc, out, err = zh("export", image_run, "-f", "state_dict", "-o", tmp_path / "m.pt")
    assert rc == 0, err
    assert out.startswith("已将 LeNet-5（来自 ") and "导出为 state_dict：" in out and "（它需要的输入、输出以及各层）" in out
    assert err.startswith("输入：[N, 1, 28, 28]，用保存的 mean/std 标准化")
    rc, out, err = cli("export", image_run, "-f", "state_dict", "-o", tmp_path / "m2.pt")
    assert out.startswith("exported LeNet-5 from ") and ", epoch 3 as state_dict:" in out
    assert err.startswith("input: [N, 1, 28, 28] normalised")


# ----------------------------------------------------------------------------- --batch, schema, completion


def test_batch_run_in_chinese(chinese, tmp_path):
    toy = tmp_path / "toy.yaml"
    toy.write_text(TOY_YAML.replace("EPOCHS", "2"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "LANG": "zh_CN.UTF-8"}
    env.pop("LANGUAGE", None), env.pop("LC_ALL", None), env.pop("LC_MESSAGES", None)
    r = subprocess.run([sys.executable, "-m", "tui_dl", "--batch", toy, "--out", tmp_path / "run"],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    header = out.splitlines()[1:6]
    assert [line.split()[0] for line in header] == ["数据集", "设备", "网络", "训练计划", "运行文件夹"]
    assert len({column_starts(line, [line.split()[1]])[0] for line in header}) == 1  # values in one column
    assert "个参数" in out and "2 轮 × 每轮" in out
    assert re.search(r"^第 2/2 轮  训练损失 [0-9.]+ 训练准确率 [0-9.]+%  验证损失 ", out, re.M)
    assert re.search(r"^测试准确率 [0-9.]+%  （测试损失 [0-9.]+；共 2 轮", out, re.M)
    assert f"运行文件夹：{tmp_path / 'run'}" in out
    assert re.search(r"^  (最高验证准确率 |验证损失最佳时)", out, re.M) and "  best.pt 保存的是第 " in out
    for english in ("parameters", "schedule", "train_loss", "test accuracy", "test loss", "run folder:",
                    "best val acc", "best.pt holds", "val acc at best", "lowest"):
        assert english not in out, english
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "completed"  # the files stay English
    assert summary["best_checkpoint"]["why"].startswith("best.pt holds epoch ")


def test_the_best_epoch_lines_in_chinese_and_english(chinese):
    from tui_dl.core.training.best_epoch import best_checkpoint_line, best_epoch_line
    from tui_dl.core.training.events import Finished

    fin = Finished(status="completed", run_dir="r", epochs_run=4, steps=40, seconds=1.0, train_images_per_second=1.0,
                   best_epoch=2, best_val_loss=0.3, best_val_accuracy=0.9, val_accuracy_at_best=0.9,
                   monitor="val_loss", monitor_mode="min", monitor_source="early_stopping",
                   highest_val_accuracy=0.92, highest_val_accuracy_epoch=3, best_checkpoint="r/best.pt")
    assert best_epoch_line(fin) == "验证损失最佳时（第 2 轮）的验证准确率：90.00% · 最高验证准确率 92.00%（第 3 轮）"
    assert best_checkpoint_line(fin) == "best.pt 保存的是第 2 轮：验证损失最低（早停监控的指标）"
    assert best_checkpoint_line(fin, english=True) == ("best.pt holds epoch 2: the lowest val loss "
                                                       "(the early-stopping monitor)")  # for summary.json
    assert best_epoch_line(fin, english=True).startswith("val acc at best val loss (epoch 2): 90.00%")


def test_schema_and_completion_in_chinese(chinese, tmp_path):
    rc, _out, err = zh("schema", "-o", tmp_path / "s.json")
    assert rc == 0 and err == f"已写入 {tmp_path / 's.json'}\n"
    assert json.loads((tmp_path / "s.json").read_text())["properties"]  # the schema itself is not translated
    rc, _out, err = zh("schema", "-o", tmp_path / "no" / "s.json")
    assert rc == 2 and err.startswith("tui-dl schema：无法写入 ")
    rc, _out, err = zh("completion", "tcsh")
    assert rc == 2 and "tcsh" in err and CJK.search(err)


def test_summary_json_is_the_same_in_every_language(chinese):
    """--json is for scripts: like runs, lab and presets --json, summary --json keeps its English texts (formula
    lines, messages) whatever the language; the table stays translated."""
    rc_zh, out_zh, _err = zh("summary", "lenet5", "--json")
    rc_en, out_en, _err = cli("summary", "lenet5", "--json")
    assert rc_zh == rc_en == 0 and out_zh == out_en
    assert "shape unchanged (applied to every value)" in out_zh
    rc, table, _err = zh("summary", "lenet5")
    assert rc == 0 and "形状不变" in table  # the language is back for what follows
