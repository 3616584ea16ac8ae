"""The labs speak Chinese under the ``chinese`` fixture and stay English by default."""

import pytest

from tui_dl.core.labs.backprop import backprop
from tui_dl.core.labs.values import LabError, parse_number


def test_lab_error_in_chinese(chinese):
    with pytest.raises(LabError) as e:
        parse_number("abc", "input")
    assert e.value.message == "'abc' 不是数字"


def test_lab_error_english_by_default():
    with pytest.raises(LabError) as e:
        parse_number("abc", "input")
    assert e.value.message == "'abc' is not a number"


def test_backprop_stages_in_chinese(chinese):
    lines = backprop().lines()
    assert "④ 前向传播" in lines and "② 参数更新" in lines
    assert "④ forward pass" not in lines


def test_backprop_stages_english_by_default():
    assert "④ forward pass" in backprop().lines()


# ----------------------------------------------------------------------------- issue 20: every lab in Chinese

from tui_dl.core import i18n  # noqa: E402
from tui_dl.core.labs import conv, losses, optimizers  # noqa: E402
from tui_dl.core.labs.surfaces import SURFACES, resolve_surface  # noqa: E402


def test_the_bowl_title_follows_a_live_switch(chinese):
    """The bowl is built at import (in English): its title and note are read in the language spoken now."""
    bowl = SURFACES["bowl"]
    assert bowl.title == "碗形函数 0.1·x² + 2·y²"
    assert bowl.note.startswith("x 方向的曲率为 0.2")
    assert resolve_surface("quadratic:1,3").title == "碗形函数 1·x² + 3·y²"
    i18n.set_language("en")
    assert bowl.title == "the bowl 0.1·x² + 2·y²"
    assert bowl.note.startswith("curvature 0.2 along x and 4 along y")
    i18n.set_language("zh_CN")
    assert SURFACES["rosenbrock"].title == "Rosenbrock 香蕉形山谷"


def test_the_optimizer_race_in_chinese(chinese):
    text = "\n".join(optimizers.race("bowl", 3, optimizers=["gd", "sgd"], variant="both").lines(show_step=2))
    assert "碗形函数 0.1·x² + 2·y²：f(x, y) = 0.1·x² + 2·y²；最小值点 (0, 0)（f = 0）" in text
    assert "起点 (-5, -2)，3 步，容差 f ≤ 0.001，torch.optim 和教科书的规则" in text
    assert "优化器" in text and "到 f ≤ tol 的步数" in text and "未达到" in text
    assert "更新规则，代入第 2 步的数值：" in text and "gd 第 2 步：θ ← θ − η·g" in text
    assert "噪声 ~ N(0, σ²)，每个坐标独立" in text and "（含噪声）" in text
    assert "torch 与教科书的对比：" in text and "动量：torch 用 v ← β·v + g" in text
    for english in ("steps to f", "not reached", "update rules", "noise included", "the bowl", "tolerance"):
        assert english not in text


def test_the_optimizer_race_english_by_default():
    text = "\n".join(optimizers.race("bowl", 3, optimizers=["gd"]).lines())
    assert "the bowl 0.1·x² + 2·y²: f(x, y) = 0.1·x² + 2·y²; minimum (0, 0) (f = 0)" in text
    assert "start (-5, -2), 3 steps, tolerance f ≤ 0.001, torch.optim" in text
    assert "update rules, with the numbers at the last step:" in text and "gd step 3: θ ← θ − η·g" in text


def test_the_chinese_table_header_lines_up_with_its_rows(chinese):
    lines = optimizers.race("bowl", 2, optimizers=["gd", "momentum"]).lines()
    head = next(ln for ln in lines if "优化器" in ln)
    row = next(ln for ln in lines if ln.startswith("  gd "))
    # the η column ends in the same terminal cell in the header and in the row (优化器 is 6 cells, not 3)
    assert i18n.text_width(head[:head.index("η") + 1]) == i18n.text_width(row[:row.index("0.4") + 3])


def test_optimizer_errors_in_chinese(chinese):
    with pytest.raises(LabError) as e:
        optimizers.race("bowl", 0)
    assert e.value.message == "步数必须是 1 到 100000 之间的整数（收到的是 0）" and e.value.field == "steps"
    with pytest.raises(LabError) as e:
        optimizers.race("bowl", 3, momentum=1.5)
    assert e.value.message == "β 必须在 [0, 1) 内（收到的是 1.5）；通常取 0.9"
    with pytest.raises(LabError) as e:
        optimizers.run("nag")
    assert e.value.message.startswith("未知的优化器 'nag'；请从 gd, sgd")


def test_optimizer_errors_english_by_default():
    with pytest.raises(LabError) as e:
        optimizers.race("bowl", 0)
    assert e.value.message == "steps must be a whole number from 1 to 100000 (got 0)" and e.value.field == "steps"


def test_backprop_formula_captions_translate_when_read(chinese):
    """A caption computed in English reads in Chinese after a switch (Line.formula translates when read)."""
    i18n.set_language("en")
    r = backprop(output="linear")
    i18n.set_language("zh_CN")
    delta = next(ln for ln in r.steps if ln.name == "δ2")
    assert delta.formula == "∂L/∂z2 = (y − t)·1（线性输出）"
    assert "δ2 = ∂L/∂z2 = (y − t)·1（线性输出）" in delta.text()
    bce = next(ln for ln in backprop(loss="bce").steps if ln.name == "δ2")
    assert bce.formula.startswith("∂L/∂z2 = y − t（sigmoid 输出上的 BCE")
    i18n.set_language("en")
    assert delta.formula == "∂L/∂z2 = (y − t)·1 (linear output)"


def test_conv_and_pool_in_chinese(chinese):
    text = "\n".join(conv.conv2d("1 2 3 4 5; 6 7 8 9 10; 1 2 3 4 5; 1 1 1 1 1; 2 2 2 2 2", "1 0; 0 1",
                                 stride=2).lines())
    assert "卷积（互相关，与 PyTorch 的计算方式相同）：输入 1×5×5，窗口 2×2，步长 2，填充 0，膨胀 1" in text
    assert "PyTorch 悄悄丢掉了输入的第 4 行（从 0 开始编号）" in text
    with pytest.raises(LabError) as e:
        conv.conv2d("1 2; 3 4", "1 2 3; 4 5 6; 7 8 9")
    assert e.value.message == "卷积核（3 行）比填充后的输入（2 + 0 = 2 行）还大：请用更小的卷积核、更多的填充或更小的膨胀"
    back = "\n".join(conv.pool_backward(conv.pool2d("1 2; 3 4", 2)).lines())
    assert "∂L/∂y[0,0] = 1 → x[1,1]（窗口中的最大值 4）；窗口中其余 3 个输入得到 0" in back


def test_losses_in_chinese(chinese):
    text = "\n".join(losses.losses("1.7 0.2 0.1", 0).lines())
    assert text.startswith("预测 ŷ = [1.7, 0.2, 0.1]，目标 t = [1, 0, 0]，焦点损失 γ = 2")
    assert "不适用：预测值必须是 [0, 1] 中的概率（sigmoid 的输出）；1.7 不是" in text
    # the machine-readable output keeps English
    assert losses.losses("1.7 0.2 0.1", 0).to_json()["losses"]["bce"]["error"].startswith("the prediction must be")


def test_activation_formulas_in_chinese(chinese):
    from tui_dl.core.labs.activations import evaluate

    r = evaluate("relu", [1])
    assert r.dformula == "ReLU′(x) = 1（x > 0 时），否则为 0"  # what the app shows, as it is
    assert evaluate("gelu", [1]).formula.startswith("GELU(x) = x·Φ(x)  （Φ：")
    assert "  ReLU′(x) = 1（x > 0 时），否则为 0" in r.lines()


def test_activation_formulas_english_by_default():
    from tui_dl.core.labs.activations import evaluate

    assert evaluate("elu", [1]).formula == "ELU(x) = x if x > 0 else α(eˣ − 1)"
