"""Insight, export, predict and pictures speak Chinese under the ``chinese`` fixture (issue 20); English stays the
default, and what is written for machines (the attack's JSON convention) stays English."""

import pytest

from tui_dl.core import i18n, pictures
from tui_dl.core.export import ExportError, export_model
from tui_dl.core.insight import attack_settings, robustness
from tui_dl.core.insight.gallery import GalleryFilter, GalleryItem
from tui_dl.core.predict import PredictError, read_image


def test_eps_errors_in_chinese(chinese):
    with pytest.raises(ValueError, match="^请至少给出一个 ε，例如 0,0.05,0.1$"):
        attack_settings.parse_eps("")
    with pytest.raises(ValueError, match="^'a' 不是数字（ε 以像素值为单位，在 0 和 1 之间）$"):
        attack_settings.parse_eps("0,a")
    with pytest.raises(ValueError, match=r"^2 不在 \[0, 1\] 内"):
        attack_settings.parse_eps("2")


def test_eps_errors_english_by_default():
    with pytest.raises(ValueError, match="^'a' is not a number"):
        attack_settings.parse_eps("0,a")


def test_the_convention_is_an_english_source_shown_translated(chinese):
    assert attack_settings.CONVENTION.startswith("Images the model already gets wrong")  # what the JSON keeps
    assert i18n._(attack_settings.CONVENTION).startswith("模型本来就分错的图像")
    assert i18n._(robustness.MADRY_REFERENCE).startswith("Madry 等人的 MNIST 挑战赛")


def test_masking_sentences_in_chinese(chinese):
    finding = robustness.MaskingFinding(0.1, 0.9, 0.2)
    line = robustness.masking_line("A", [finding])
    assert line.startswith("A 看起来能抵御 FGSM，但 PGD 能攻破它：这是梯度掩蔽（在 ε = 0.1 时 FGSM 90.00%，PGD 20.00%")
    assert line.endswith("请以 PGD 一列为准。")
    assert "不算作梯度掩蔽" in robustness.beyond_training_line("A", 0.05, [finding])


def test_masking_sentence_english_by_default():
    line = robustness.masking_line("A", [robustness.MaskingFinding(0.1, 0.9, 0.2)])
    assert line == ("A looks robust to FGSM but PGD breaks it: gradient masking (at ε = 0.1 FGSM 90.00% vs PGD "
                    "20.00%; FGSM ≥ 20 points above PGD at ε = 0.1). Trust the PGD column.")


def test_gallery_captions_and_filters_in_chinese(chinese):
    assert GalleryItem(3, 1, 2, 0.5, "1", "2").caption() == "#3  真实 1  预测 2（50.0%） ✗"
    assert GalleryFilter("cell", 1, 2).label(["a", "b", "c"]) == "真实 b，预测 c"
    assert GalleryFilter("confident-wrong").label([]) == "置信度最高的错误"
    with pytest.raises(ValueError, match="^未知的图库筛选 'x'"):
        GalleryFilter("x")


def test_gallery_caption_english_by_default():
    assert GalleryItem(3, 1, 1, 0.981, "1", "1").caption() == "#3  true 1  said 1 (98.1%)"
    assert GalleryFilter("wrong").label([]) == "misclassified"


def test_export_predict_and_picture_errors_in_chinese(chinese, tmp_path):
    with pytest.raises(ExportError, match="^--format zip：请从 .* 中选一个$"):
        export_model(None, "zip")
    with pytest.raises(PredictError, match="：没有这个图像文件$"):
        read_image(tmp_path / "missing.png", None)
    with pytest.raises(ValueError, match="^图像的每一行必须有相同数量的像素$"):
        pictures.resize([[1], [1, 2]], 2)
    with pytest.raises(ValueError, match="^300 不是调色板的颜色 16-255 之一$"):
        pictures.xterm256_rgb(300)


def test_export_errors_english_by_default(tmp_path):
    with pytest.raises(ExportError, match="^--format zip: choose one of "):
        export_model(None, "zip")
    with pytest.raises(PredictError, match=": no such image file$"):
        read_image(tmp_path / "missing.png", None)
