"""Issue 18 on the Stylize page: drop a GIF, see its frames, trim them, Start, watch frames beside their content
frames, stop keeps the frames, Start resumes, and the painted GIF lands in the workspace's animations folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_stylize_page import WAIT_MS, _backbone, _choose_backbone, drop_files

from studio.engine.jobs import Preview
from studio.preferences import resolve_runtime
from studio.ui.stylize.page import StylizePage


def _gif(tmp_path: Path, n: int = 4, side: int = 40) -> Path:
    import skimage.data as data

    big = np.asarray(Image.fromarray(data.chelsea()).resize((side + 3 * n, side + 3 * n)))
    frames = [Image.fromarray(np.ascontiguousarray(big[i * 2:i * 2 + side, i * 3:i * 3 + side])) for i in range(n)]
    p = tmp_path / "cat-pan.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return p


@pytest.fixture
def page(qtbot):
    p = StylizePage()
    qtbot.addWidget(p)
    p.resize(1024, 640)
    p.show()
    yield p
    p.shutdown(WAIT_MS)


def test_a_dropped_gif_is_painted_into_the_animations_folder_and_a_stop_resumes(qtbot, page, tmp_path):
    import skimage.data as data

    gif = _gif(tmp_path)
    painting = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).resize((60, 40)).save(painting)
    drop_files(page.content.drop, [gif])
    page.styles.add_paths([str(painting)])
    assert page.animation.isVisible() and page.animation.frame_count() == 4
    assert "4 frames" in page.animation.info.text() and not page.animation.strip.pixmap().isNull()
    page.animation.step_spin.setValue(2)  # frames 1 and 3
    assert page.animation.frame_count() == 2 and "Paints 2 frames" in page.animation.summary.text()
    page.animation.step_spin.setValue(1)
    page.size_spin.setValue(32)
    page.iter_spin.setValue(6)
    _choose_backbone(page, _backbone())
    page.overrides = {"scales": [32], "preview_every_s": 0, "content_layers": {"conv3_2": 1.0},
                      "style_layers": {"conv1_1": 1.0, "conv2_1": 1.0, "conv3_1": 1.0}}
    previews = []
    page.runner.preview.connect(lambda ev: previews.append(ev))

    folder = resolve_runtime().workspace / "animations"
    page.start()
    qtbot.waitUntil(lambda: len(list(folder.glob("*.frames/frame_*.png"))) >= 2, timeout=WAIT_MS)
    page.stop()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    kept = len(list(folder.glob("*.frames/frame_*.png")))
    assert kept < 4 and f"Stopped: {kept} of 4 frames" in page.progress_label.text(), (
        page.progress_label.text(), page.error_message())
    frames = sorted(folder.glob("*.frames/frame_*.png"))
    # each look is the content frame beside the painted one (twice as wide as tall, plus the gap)
    shown = [ev for ev in previews if isinstance(ev, Preview) and ev.label == "animation"]
    assert shown and shown[-1].image.shape[1] == 2 * 32 + 4
    before = {p: p.stat().st_mtime_ns for p in frames}

    page.start()  # the same inputs: goes on in the same animation
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=WAIT_MS)
    assert page.progress_label.text().startswith("Done: 4 frames"), (page.progress_label.text(),
                                                                    page.error_message())
    out = next(folder.glob("cat-pan-painted.gif"))
    with Image.open(out) as im:
        assert im.n_frames == 4 and im.size == (32, 32)
    assert {p: p.stat().st_mtime_ns for p in frames} == before  # the two kept frames were not painted again
    assert out.with_name(out.name + ".json").exists()


def test_a_painted_animations_recipe_opens_on_the_stylize_page_with_its_frames(qtbot, page, tmp_path):
    """The Gallery sends a painted GIF's recipe to Stylize; it restores the clip, the painting and the frames."""
    import skimage.data as data

    from studio.engine.gallery import open_target
    from studio.engine.jobs import run_job
    from studio.engine.style.animation import AnimationSettings, AnimationStyleJob
    from studio.engine.style.settings import StyleSettings

    gif = _gif(tmp_path, n=5)
    painting = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).resize((60, 40)).save(painting)
    still = StyleSettings(size=32, iterations=3, scales=[32], backbone=_backbone(), style_weight=7.0,
                          content_layers={"conv3_2": 1.0}, style_layers={"conv1_1": 1.0, "conv2_1": 1.0})
    out = tmp_path / "painted.mp4"
    r = run_job(AnimationStyleJob(AnimationSettings(still=still, start=1, end=5, step=2, follow_iterations=2), gif,
                                  [painting], out))
    assert r.error is None, r.details
    where, recipe = open_target("animation", out)
    assert where == "stylize" and recipe == out.with_name("painted.mp4.json")
    assert page.open_recipe(recipe)
    assert page.content.path() == str(gif) and page.styles.paths() == [str(painting)]
    assert page.strength_spin.value() == pytest.approx(7.0)
    a = page.animation
    assert a.isVisible() and (a.first_spin.value(), a.last_spin.value(), a.step_spin.value()) == (2, 5, 2)
    assert a.output_combo.currentData() == ".mp4" and a.frame_count() == 2
