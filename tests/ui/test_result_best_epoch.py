"""The result panel names both validation accuracies: the one at the best epoch (what best.pt holds) and the
highest one, each with its epoch (issue 13 item 20). An older run folder keeps its old line."""

from __future__ import annotations

from tests.ui.test_result_panel import _rendered
from tui_dl.core.training.events import Finished

BASE = dict(status="completed", run_dir="r", epochs_run=4, steps=40, seconds=1.0, train_images_per_second=1.0,
            test_accuracy=0.9, best_epoch=3, best_val_loss=0.25, best_val_accuracy=0.912)


def test_the_panel_says_val_acc_at_best_val_loss_and_the_best_val_acc():
    text = _rendered(Finished(**BASE, monitor="val_loss", monitor_mode="min", monitor_source="default",
                              val_accuracy_at_best=0.912, highest_val_accuracy=0.915, highest_val_accuracy_epoch=4))
    flat = " ".join(text.split())
    assert "val acc at best val loss (epoch 3): 91.20% · best val acc 91.50% (epoch 4)" in flat


def test_an_old_run_folder_keeps_its_line():
    text = _rendered(Finished(**BASE))
    assert "best epoch 3, val 91.20%" in " ".join(text.split())
