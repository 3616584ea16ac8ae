"""The views in Chinese (issue 20): after a live switch (set_language + relabel_app) each view shows Chinese."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run
from tests.ui.i18n_helpers import english_words, screen_text
from tui_dl.app.i18n_ui import relabel_app
from tui_dl.core import i18n

#: (view id, a Chinese text the view shows after the switch)
VIEWS = [("build", "层库"), ("setup", "早停"), ("train", "测试结果"), ("runs", "运行记录"), ("learn", "实验室")]

#: Words of the views' own titles, hints and headings ("input", "Training", "Log" are left out: the shapes
#: table, the palette's groups and the footer, other files of issue 20, show them too).
MINE = {"Palette", "Network", "Arguments", "Shapes", "Explain", "Labs", "Loss", "Accuracy", "Status",
        "Epochs", "Folder", "Optimizer", "Early", "stopping", "schedule", "activations", "enter",
        "adds", "move", "delete", "resume", "overlay", "leaves"}


@pytest.mark.parametrize("view, expected", VIEWS)
def test_view_after_live_switch_shows_chinese(runs_dir, chinese, view, expected):
    async def body():
        i18n.set_language("en")
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.action_show_view(view)
            await pilot.pause(0.5)
            i18n.set_language("zh_CN")
            relabel_app(app)
            await pilot.pause(0.3)
            text = screen_text(app)
            assert expected in text, text
            left = english_words(app)
            # what is left comes from files of other parts of issue 20 (tabs, footer, status bar, widgets, the core
            # labs' worked lines); none of the views' own words may be left
            assert not set(left) & MINE, (view, set(left) & MINE)
    run(body())


# --------------------------------------------------------------------------- the widgets' own text (issue 20)
import re  # noqa: E402

from tests.ui.conftest import wait_training_done, wait_until  # noqa: E402
from tests.ui.fakes import scripted_training  # noqa: E402

#: English that the core gives the Explain pane (layer summaries, formulas, field help, shape formulas) is
#: translated by the core's own messages; these are the Explain pane's and the totals bar's own words, none of
#: which may be left in Chinese.
PANE_WORDS = {"Layer", "press", "try", "lab", "Learn", "Output", "size", "Parameters", "Mult-adds", "per",
              "sample", "output", "values", "multiply-adds", "each", "What", "computes", "Arguments", "inferred",
              "default", "buffer", "buffers", "saved", "trained", "Totals", "parameters", "trainable",
              "mult-adds", "Training", "memory", "estimate", "batch", "weights", "gradients", "optimizer",
              "activations", "inputs", "total", "measurement", "One", "During", "Edit", "below", "Params",
              "MACs", "Mem", "Train", "ready", "warning", "warnings", "layer", "fixes", "not", "computed"}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z'-]{2,}", text))


def _core_words(app, kind: str) -> set[str]:
    """The words of the core's texts about a layer kind (its summary, formula, arguments' help, its row's shape
    and parameter formulas): translated by the core's messages, not by the Explain pane's."""
    from tui_dl.core.model.layers import REGISTRY

    k = REGISTRY[kind]
    row = next(r for r in app.build_view.summary.rows if r.type == kind)
    texts = [k.summary, k.math or "", *(f.help for f in k.fields), *(f.name for f in k.fields),
             *row.shape_formula, row.param_formula or "", *row.warnings]
    return set().union(*(_words(t) for t in texts))


def _layer_index(app, kind: str) -> int:
    rows = app.build_view.summary.rows
    return next(i for i, r in enumerate(rows) if r.type == kind) + 1  # option 0 is the input row




def test_explain_pane_and_totals_bar_in_chinese(runs_dir, chinese, tmp_path):
    from tui_dl.app.widgets.detail_pane import DetailPane, TotalsBar
    from tui_dl.app.widgets.layer_stack import LayerStack

    preset = tmp_path / "bn.yaml"
    preset.write_text(open("tests/ui/data/lenet5.yaml", encoding="utf-8").read().replace(
        "  - {type: ReLU}\n  - {type: MaxPool2d", "  - {type: BatchNorm2d}\n  - {type: ReLU}\n  - {type: MaxPool2d", 1),
        encoding="utf-8")

    async def body():
        app = new_app(str(preset), runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            stack, pane = app.query_one(LayerStack), app.query_one(DetailPane)
            stack.highlighted = 0
            await pilot.pause(0.2)
            text = pane.plain_text()
            assert "一个样本：通道 × 高 × 宽 = 784 个值" in text and "合计" in text, text
            assert "训练内存估算（批大小 64，adam）" in text and "估算值，并非实测" in text, text
            assert not _words(text) & PANE_WORDS, _words(text) & PANE_WORDS
            expected = {"Conv2d": ["输出尺寸", "参数量", "每个样本", "个输出值 × 每个 25 次乘加", "按 t 在卷积实验室里试一试",
                                   "计算内容", "参数", "1（默认）"],
                        "BatchNorm2d": ["个缓冲值（随模型保存，不参与训练）", "推断"],
                        "MaxPool2d": ["按 t 在池化实验室里试一试", "默认"],
                        "Linear": ["参数量", "乘加次数"]}
            for kind, texts in expected.items():
                stack.highlighted = _layer_index(app, kind)
                await pilot.pause(0.2)
                text = pane.plain_text()
                assert text.startswith(f"第 {_layer_index(app, kind)} 层 · "), text
                assert "输入 1×28×28" in text or "输入 6×" in text or "输入 16×" in text or "输入 400" in text \
                    or "输入 120" in text or "输入 84" in text, text
                for piece in texts:
                    assert piece in text, (kind, piece, text)
                left = _words(text) & PANE_WORDS - _core_words(app, kind)
                assert not left, (kind, left)
            bar = str(app.query_one(TotalsBar).render())
            assert "参数量" in bar and "✓ 可以训练" in bar, bar
            assert not _words(bar) & PANE_WORDS, bar
    run(body())


def test_explain_pane_stays_english_by_default(runs_dir):
    from tui_dl.app.widgets.detail_pane import DetailPane
    from tui_dl.app.widgets.layer_stack import LayerStack

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            app.query_one(LayerStack).highlighted = 1
            await pilot.pause(0.2)
            text = app.query_one(DetailPane).plain_text()
            assert text.startswith("Layer 1 · Conv2d") and "Output size" in text and "press t to try it in the conv lab" \
                in text and "output values × 25 multiply-adds each" in text, text
    run(body())


def test_result_panel_fallback_banner_and_palette_in_chinese(runs_dir, chinese):
    from tui_dl.app.widgets.results import ResultPanel

    reason = "无法下载 MNIST（没有网络）。请检查网络，或设置 data.root"

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=10, fallback=reason))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            text = screen_text(app)
            assert "卷积" in text and "池化" in text and "CONVOLUTION" not in text  # the palette's groups
            app.action_show_view("train")
            await pilot.pause(0.3)
            panel = str(app.query_one(ResultPanel).render())
            assert panel == "训练结束后，这里会显示测试准确率和混淆矩阵。", panel
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            await pilot.pause(0.5)
            text = screen_text(app)
            assert "测试准确率" in text and "行为真实类别，列为预测类别" in text and "准确率" in text, text
            banner = str(app.query_one("#train-banner").render())
            assert "无法下载 MNIST" in banner and "请检查网络" not in banner, banner
            left = set(english_words(app)) & {"Test", "accuracy", "loss", "rows", "columns", "predicted", "acc",
                                             "confused", "most", "class"}
            assert not left, left
    run(body())


def test_a_diagnosis_on_the_banner_is_its_short_form_in_chinese(runs_dir, chinese):
    from tui_dl.core.training import diagnosis

    async def body():
        app = new_app(runs_dir=runs_dir, trainer=scripted_training(epochs=1, batches=40, log_every=5, rise_at=20))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_training_done(pilot)
            banner = str(app.query_one("#train-banner").render())
            assert "⚑ " + diagnosis.short("rising") in banner, banner
            assert "rising loss" not in banner or diagnosis.short("rising").startswith("rising"), banner
    run(body())


@pytest.mark.usefixtures("chinese")
def test_download_progress_is_found_in_either_language():
    """The core's download lines are told apart by their type, not their (translated) words."""
    from tui_dl.app.train_controller import is_download_line
    from tui_dl.core.data.download import download_line

    line = download_line("train-images", 400, 1000, 1.0)
    assert not line.startswith("Downloading")  # it is Chinese now
    assert is_download_line(line)
    assert is_download_line("Downloading train-images: 40% of 26.4 MB, 3.1 MB/s")  # a plain English line
    assert not is_download_line("正在读取 train-images-idx3-ubyte")
    assert not is_download_line("Reading train-images-idx3-ubyte")


def test_fallback_short_cuts_a_chinese_reason_at_its_first_clause():
    from tui_dl.app.logfmt import fallback_short

    assert fallback_short("MNIST could not be downloaded (no network). Set data.root.") == "MNIST could not be downloaded"
    assert fallback_short("无法下载 MNIST（没有网络）。请设置 data.root。") == "无法下载 MNIST"
    assert fallback_short("无法下载。" + "很" * 10) == "无法下载"
    cut = fallback_short("长" * 80, limit=20)
    assert cut.endswith("…") and len(cut) == 10


def test_run_labels_field_hints_and_lab_links_in_chinese(chinese):
    from dataclasses import replace

    from tui_dl.app.editing import placeholder
    from tui_dl.app.lab_links import lab_for_layer
    from tui_dl.app.session import run_labels
    from tui_dl.app.widgets.field_form import field_hint
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.model.layers import REGISTRY

    exp = load_experiment("tests/ui/data/lenet5.yaml")
    other = replace(exp, train=replace(exp.train, batch_size=128, epochs=5))
    assert run_labels([exp, other]) == ["批大小 64 2 轮", "批大小 128 5 轮"]
    stride = REGISTRY["Conv2d"].field("stride")
    assert placeholder(stride) == "默认 1"
    assert field_hint(stride).startswith("stride：") and field_hint(stride).endswith("（默认 1）")
    link = lab_for_layer("MaxPool2d", {"kernel_size": 2})
    assert link.text.startswith("池化实验室：2×2 最大池化，步长 2"), link.text
    i18n.set_language("en")
    assert run_labels([exp, other]) == ["batch 64 2 epochs", "batch 128 5 epochs"]
    assert placeholder(stride) == "default 1"
    assert lab_for_layer("MaxPool2d", {"kernel_size": 2}).text.startswith("the pool lab: max pooling 2×2, stride 2")


def test_widgets_follow_a_live_switch(runs_dir, chinese):
    from textual.widgets import Input

    from tui_dl.app.widgets.detail_pane import DetailPane, TotalsBar
    from tui_dl.app.widgets.layer_stack import LayerStack
    from tui_dl.app.widgets.results import ResultPanel

    async def body():
        i18n.set_language("en")
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            app.query_one(LayerStack).highlighted = 1
            await pilot.pause(0.3)
            assert "ready to train" in str(app.query_one(TotalsBar).render())
            assert "CONVOLUTION" in screen_text(app)
            i18n.set_language("zh_CN")
            relabel_app(app)
            await pilot.pause(0.3)
            assert "✓ 可以训练" in str(app.query_one(TotalsBar).render())
            assert app.query_one(DetailPane).plain_text().startswith("第 1 层 · Conv2d")
            text = screen_text(app)
            assert "卷积" in text and "CONVOLUTION" not in text, text
            stride = app.query_one("#layer-form").editor("stride")
            assert isinstance(stride, Input) and stride.placeholder == "默认 1", stride.placeholder
            app.action_show_view("train")
            await pilot.pause(0.5)
            assert str(app.query_one(ResultPanel).render()).startswith("训练结束后")
    run(body())
