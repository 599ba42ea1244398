"""The small training plots' legends must not cover the curves (they did: anchored inside the view box,
they hid the newest steps of the losses on a narrow plot)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("pyqtgraph")

from studio.engine.jobs import Metrics  # noqa: E402
from studio.ui.widgets.training_plots import TrainingPlots  # noqa: E402


def _legend_clear_of_data(plot) -> tuple[bool, str]:
    item = plot.getPlotItem()
    legend = item.legend
    data = item.getViewBox().sceneBoundingRect()
    box = legend.sceneBoundingRect()
    inside_view = legend.parentItem() is item.getViewBox()
    clear = not box.intersects(data) and not inside_view
    return clear, f"{plot.objectName()}: legend {box} vs data {data}"


@pytest.mark.parametrize(("compact", "width", "height"), [(False, 760, 480), (False, 440, 480), (True, 520, 260)])
def test_plot_legends_sit_outside_the_data_area(qtbot, compact, width, height):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(width, height)
    plots.set_compact(compact)
    plots.show()
    qtbot.waitExposed(plots)
    plots.append([Metrics(s, {"loss_g": 1.0 + s / 100, "loss_d": 0.6, "d_real": 0.8, "d_fake": 0.2,
                              "img_per_s": 50.0, "aug_p": 0.1, "ada_rt": 0.5}) for s in range(1, 60)])
    plots.redraw()
    with_legend = [plots.loss_plot, plots.d_plot, plots.aug_plot, plots.diversity_plot]
    for tab in (plots.training_tab, plots.quality_tab):
        plots.tabs.setCurrentWidget(tab)
        qtbot.wait(10)  # let the layouts of the tab on show settle
        for plot in with_legend:
            if not plot.isVisible():
                continue
            legend = plot.getPlotItem().legend
            assert legend is not None and len(legend.items) == 2, plot.objectName()
            assert legend.isVisible() and legend.sceneBoundingRect().height() > 5
            clear, why = _legend_clear_of_data(plot)
            assert clear, why
            # Every entry is within the plot widget (not pushed out of sight).
            scene = plot.getPlotItem().sceneBoundingRect()
            assert scene.contains(legend.sceneBoundingRect()), why
            # ... and the legend never makes the plot wider than its widget (its right end cut off), where
            # the title and axes alone would fit.
            title = plot.getPlotItem().titleLabel.item.boundingRect().width()  # the text itself
            if title + 60 < plot.viewport().width():
                assert scene.width() <= plot.viewport().width() + 1, why
    plots.shutdown()
