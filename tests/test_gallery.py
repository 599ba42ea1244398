"""The workspace scan and the Gallery page: what real jobs wrote, filters, search, broken items, rename,
delete to the trash, open in its page, thumbnails in the background, 1,000 items."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox

from studio.engine import gallery
from studio.engine.export import read_artwork_recipe, save_artwork, write_gif
from studio.engine.gallery import GalleryItem, scan_workspace
from studio.preferences import resolve_runtime
from studio.ui.gallery import actions as gallery_actions
from studio.ui.gallery import thumbnails as gallery_thumbnails
from studio.ui.gallery.dialogs import RenameDialog
from studio.ui.gallery.model import ItemRole
from studio.ui.gallery.page import GalleryPage
from studio.ui.workspace import set_workspace_dir, workspace_dir

WAIT_MS = 60_000


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private workspace, thumbnail cache, trash and preferences file for every test."""
    ws = tmp_path / "ws"
    monkeypatch.setenv("GAN_STUDIO_WORKSPACE", str(ws))
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))  # the chosen workspace is kept here
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the freedesktop trash lands here
    yield ws
    set_workspace_dir(None)  # a chosen workspace is handed to the engine through the variable: give it back


@pytest.fixture
def ws(isolated) -> Path:
    return isolated


@pytest.fixture
def page(qtbot):
    p = GalleryPage()
    qtbot.addWidget(p)
    p.resize(1100, 760)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown(WAIT_MS)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A real GAN training run (engine, a few steps): config, metrics, sample grids, a checkpoint."""
    from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
    from studio.engine.jobs import run_job

    run = tmp_path_factory.mktemp("runs") / "tiny-run"
    cfg = TrainConfig.for_preset("dcgan32", data="demo", width=8, batch_size=16, steps=4, demo_count=32,
                                 sample_every_s=1e9, checkpoint_every_min=0, device="cpu", grid_count=16)
    out = run_job(GanTrainingJob(cfg, run))
    assert out.error is None, out.details
    return run


@pytest.fixture(scope="module")
def style_inputs(tmp_path_factory) -> tuple[Path, Path]:
    skimage_data = pytest.importorskip("skimage.data")
    d = tmp_path_factory.mktemp("style-inputs")
    content, style = d / "chelsea.png", d / "coffee.png"
    for path, arr in ((content, skimage_data.chelsea()), (style, skimage_data.coffee())):
        img = Image.fromarray(arr)
        img.thumbnail((96, 96))
        img.save(path)
    return content, style


def _style_settings(**kw):
    from studio.engine import pretrained
    from studio.engine.style.gatys import StyleSettings

    base = dict(size=32, iterations=3, optimizer="adam", lr=0.05, seed=7, device="cpu", preview_every_s=0,
                backbone="vgg16" if pretrained.verify() else "random", content_layers={"conv3_2": 1.0},
                style_layers={"conv1_1": 1.0, "conv2_1": 1.0})
    base.update(kw)
    return StyleSettings(**base)


def _stylize(style_inputs, out: Path, masks: bool = False) -> Path:
    """A real (tiny) style transfer saved with save_result: artwork + recipe JSON (+ a brush mask)."""
    from studio.engine.jobs import run_job
    from studio.engine.style.gatys import StyleTransferJob, save_result

    content, style = style_inputs
    mask = None
    if masks:
        mask = np.zeros((32, 32), np.uint8)
        mask[:, :16] = 255
    job = StyleTransferJob(_style_settings(), content, [style], style_masks=[mask] if masks else None)
    outcome = run_job(job)
    assert outcome.error is None, outcome.details
    return save_result(outcome.result, out)


def _png(path: Path, color=(200, 80, 40), size=(48, 32)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def _gif(path: Path) -> Path:
    frames = np.zeros((3, 16, 16, 3), np.uint8)
    for i in range(3):
        frames[i, :, :, i] = 255
    return write_gif(frames, path, fps=8)


def _fake_run(folder: Path, config: str = '{"preset": "dcgan32"}') -> Path:
    (folder / "samples").mkdir(parents=True)
    (folder / "config.json").write_text(config)
    _png(folder / "samples" / "step_0000010.png", (10, 200, 10))
    return folder


def _touch(path: Path, t: float) -> None:
    os.utime(path, (t, t))


def _wait_thumbnails(qtbot, page: GalleryPage) -> None:
    page.view.viewport().repaint()  # paint once: what is on screen asks for its thumbnail
    qtbot.waitUntil(lambda: page.thumbnails_idle(), timeout=WAIT_MS)


def _states(page: GalleryPage, on_screen: bool = False) -> dict[str, str]:
    """Thumbnail state by item name (only the items painted on screen when ``on_screen``)."""
    area = page.view.viewport().rect()
    out = {}
    for row in range(page.proxy.rowCount()):
        idx = page.proxy.index(row, 0)
        if on_screen and not page.view.visualRect(idx).intersects(area):
            continue
        item = idx.data(ItemRole)
        out[item.name] = page.model.state(item)
    return out


# ---------------------------------------------------------------------------------- real jobs
def test_gallery_lists_what_jobs_wrote_newest_first(qtbot, ws, tiny_run, style_inputs):
    run = ws / "runs" / tiny_run.name
    shutil.copytree(tiny_run, run)
    time.sleep(0.02)
    art = _stylize(style_inputs, ws / "artworks" / "cat.png")
    time.sleep(0.02)
    anim = _gif(ws / "animations" / "walk.gif")
    (ws / "pasted").mkdir()
    _png(ws / "pasted" / "pasted-1.png")  # an input, not something made: not listed

    result = scan_workspace(ws)
    assert [(it.kind, it.path) for it in result.items] == [("animation", anim), ("artwork", art), ("run", run)]
    assert result.skipped == []
    by_kind = {it.kind: it for it in result.items}
    assert by_kind["artwork"].recipe == art.with_suffix(".json") and by_kind["artwork"].name == "cat"
    assert by_kind["run"].thumb_source == run / "samples" / "step_0000004.png"  # the newest grid
    assert by_kind["run"].detail == "step 4" and by_kind["run"].recipe == run / "config.json"
    assert by_kind["animation"].detail == "GIF" and by_kind["animation"].thumb_source == anim

    page = GalleryPage()
    qtbot.addWidget(page)
    try:
        page.resize(1000, 700)
        page.show()
        qtbot.waitExposed(page)
        assert [it.path for it in page.visible_items()] == [anim, art, run]
        assert page.status_label.text() == f"3 items · workspace: {ws}"
        assert page.stack.currentWidget() is page.view
        _wait_thumbnails(qtbot, page)
        assert set(_states(page).values()) == {"ready"}
        # Thumbnails are cached on disk, keyed by path + mtime + size.
        for it in result.items:
            assert gallery.cached_thumbnail(it.thumb_source, gallery.thumbnail_cache_dir()) is not None
        # A GIF's thumbnail is its first frame (red).
        pm = page.model.pixmap(by_kind["animation"]).toImage()
        c = pm.pixelColor(pm.width() // 2, pm.height() // 2)
        assert c.red() > 240 and c.green() < 16 and c.blue() < 16  # (cached as JPEG: nearly exact)
    finally:
        page.shutdown(WAIT_MS)


def test_open_targets(ws, tiny_run, style_inputs):
    art = _stylize(style_inputs, ws / "artworks" / "cat.png")
    assert gallery.open_target("artwork", art) == ("stylize", art.with_suffix(".json"))
    art.with_suffix(".json").unlink()  # the recipe inside the PNG still opens it
    assert gallery.open_target("artwork", art) == ("stylize", art)
    plain = _png(ws / "artworks" / "plain.png")
    assert gallery.open_target("artwork", plain) == ("reveal", plain)
    run = ws / "runs" / "r"
    shutil.copytree(tiny_run, run)
    assert gallery.open_target("run", run) == ("train", run)
    grid = _png(ws / "artworks" / "grid.png")
    grid.with_suffix(".json").write_text(json.dumps({"kind": "gan-sample-grid", "run": str(run)}))
    assert gallery.open_target("artwork", grid) == ("train", run)
    gif = _gif(ws / "animations" / "walk.gif")
    assert gallery.open_target("animation", gif) == ("reveal", gif)
    (ws / "animations" / "walk.gif.json").write_text(json.dumps({"format": "gan-art-studio/walk",
                                                                 "timeline": {}, "generator": {}}))
    assert gallery.open_target("animation", gif) == ("explore", ws / "animations" / "walk.gif.json")


# ------------------------------------------------------------------------------ filters, search
def test_filters_and_live_search(qtbot, ws, page):
    t = time.time() - 1000
    run = _fake_run(ws / "runs" / "sunny-run")
    for path in (run, run / "config.json", run / "samples" / "step_0000010.png"):
        _touch(path, t)
    for i, name in enumerate(["sunset beach", "portrait", "Sunflower"]):
        _touch(_png(ws / "artworks" / f"{name}.png"), t + 10 + i)
    _touch(_gif(ws / "animations" / "drift.gif"), t + 20)
    _touch(_png(ws / "animations" / "cells.sheet.png"), t + 21)
    _touch(_png(ws / "my own folder" / "sketch.jpg"), t + 22)  # the artist's own folder: listed too
    page.refresh()
    names = [it.name for it in page.visible_items()]
    assert names == ["sketch", "cells", "drift", "Sunflower", "portrait", "sunset beach", "sunny-run"]
    assert [page.filter_buttons[k].text() for k in ("all", "run", "artwork", "animation")] == [
        "All  7", "Runs  1", "Artworks  4", "Animations  2"]

    qtbot.mouseClick(page.filter_buttons["animation"], Qt.MouseButton.LeftButton)
    assert [it.name for it in page.visible_items()] == ["cells", "drift"]
    assert page.status_label.text().startswith("2 of 7 items · workspace: ")
    qtbot.mouseClick(page.filter_buttons["run"], Qt.MouseButton.LeftButton)
    assert [it.kind for it in page.visible_items()] == ["run"]
    qtbot.mouseClick(page.filter_buttons["all"], Qt.MouseButton.LeftButton)

    qtbot.keyClicks(page.search_box, "SUN")  # live, case-insensitive, name or file name
    assert [it.name for it in page.visible_items()] == ["Sunflower", "sunset beach", "sunny-run"]
    page.set_filter("artwork")
    assert [it.name for it in page.visible_items()] == ["Sunflower", "sunset beach"]
    page.set_search("sun beach")  # every word must match
    assert [it.name for it in page.visible_items()] == ["sunset beach"]
    page.set_search("nothing like this")
    assert page.visible_items() == [] and page.stack.currentIndex() == 1
    assert page.empty_title.text() == "Nothing matches" and page.empty_button.isVisibleTo(page)
    qtbot.mouseClick(page.empty_button, Qt.MouseButton.LeftButton)
    assert len(page.visible_items()) == 7 and page.search_box.text() == ""
    assert page.filter_buttons["all"].isChecked()


def test_empty_workspace_says_what_will_appear(qtbot, ws, page):
    assert not ws.exists()
    page.refresh()
    assert page.stack.currentIndex() == 1 and page.empty.isVisible()
    text = page.empty_text.text()
    assert "Train" in text and "Stylize" in text and "Explore" in text and str(ws) in text
    assert page.status_label.text() == f"0 items · workspace: {ws}"
    assert not page.action_buttons["open"].isEnabled() and not page.action_buttons["delete"].isEnabled()


# -------------------------------------------------------------------------------- broken items
def test_missing_and_corrupt_items_are_survived(qtbot, ws, page):
    good = _png(ws / "artworks" / "good.png")
    truncated = _png(ws / "artworks" / "truncated.png", size=(64, 64))
    truncated.write_bytes(truncated.read_bytes()[:60])  # a PNG cut off mid-way
    (ws / "artworks" / "empty.png").write_bytes(b"")
    (ws / "artworks" / "orphan.json").write_text("{}")  # a recipe whose picture is gone: nothing to list
    (ws / "artworks" / "dangling.png").symlink_to(ws / "artworks" / "nowhere.png")
    (ws / "artworks" / ".half.png.tmp").write_bytes(b"\x89PNG")  # an atomic write in progress: hidden
    broken_run = _fake_run(ws / "runs" / "broken-run", config="{not json")
    (ws / "runs" / "starting").mkdir()  # a run folder being created: no config yet
    vanishing = _png(ws / "artworks" / "vanishing.png")

    result = scan_workspace(ws)
    names = {it.name: it for it in result.items}
    assert set(names) == {"good", "truncated", "empty", "broken-run", "vanishing"}
    assert names["broken-run"].problem and "config.json" in names["broken-run"].problem
    assert names["empty"].problem
    reasons = {s.path.name: s.reason for s in result.skipped}
    assert "no config.json" in reasons["starting"] and "dangling.png" in reasons

    page.refresh()
    vanishing.unlink()  # gone after the scan, before its thumbnail
    _wait_thumbnails(qtbot, page)
    states = _states(page)
    assert states["good"] == "ready" and states["broken-run"] == "ready"  # its grid is fine; badge below
    assert states["truncated"] == "broken" and states["vanishing"] == "broken" and states["empty"] == "broken"
    truncated_item = next(it for it in page.model.items() if it.name == "truncated")
    assert "cannot be read" in page.model.thumbnail_error(truncated_item)
    tip = page.model.data(page.model.index(page.model.row_of(broken_run), 0), Qt.ItemDataRole.ToolTipRole)
    assert "Problem: Its settings (config.json) cannot be read" in tip
    img = page.grab().toImage()  # painting broken items with their badge does not fail
    assert not img.isNull()
    page.refresh()
    assert "vanishing" not in [it.name for it in page.visible_items()]
    assert good in [it.path for it in page.visible_items()]

    # Opening something that has gone since the scan says so instead of failing.
    item = next(it for it in page.model.items() if it.name == "good")
    good.unlink()
    with qtbot.assertNotEmitted(page.open_requested):
        page.open_item(item)
    assert "no longer there" in page.message()


def test_scan_never_raises_on_unreadable_folders(ws, monkeypatch):
    _png(ws / "artworks" / "a.png")
    real = os.scandir

    def flaky(path="."):
        if str(path).endswith("artworks"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(gallery.os, "scandir", flaky)
    result = scan_workspace(ws)
    assert result.items == [] and "Permission denied" in result.skipped[0].reason
    assert scan_workspace(ws / "missing").items == []


# ------------------------------------------------------------------------------------- rename
def test_rename_takes_recipe_masks_and_embedded_recipe_along(qtbot, ws, page, style_inputs):
    from studio.engine.style.gatys import load_recipe_masks

    art = _stylize(style_inputs, ws / "artworks" / "cat.png", masks=True)
    mask = ws / "artworks" / "cat.style-mask-1.png"
    assert mask.is_file() and read_artwork_recipe(art)["mask_files"]["style"] == ["cat.style-mask-1.png"]
    older = _png(ws / "artworks" / "older.png")
    _touch(older, time.time() - 100)
    page.refresh()
    item = next(it for it in page.model.items() if it.name == "cat")
    mtime = art.stat().st_mtime
    pixels = np.asarray(Image.open(art))

    new = page.rename(item, "  sunset  ")
    assert new == ws / "artworks" / "sunset.png"
    assert not art.exists() and not art.with_suffix(".json").exists() and not mask.exists()
    assert (ws / "artworks" / "sunset.json").is_file() and (ws / "artworks" / "sunset.style-mask-1.png").is_file()
    recipe = json.loads((ws / "artworks" / "sunset.json").read_text())
    assert recipe["mask_files"]["style"] == ["sunset.style-mask-1.png"]
    assert read_artwork_recipe(new)["mask_files"]["style"] == ["sunset.style-mask-1.png"]
    assert load_recipe_masks(ws / "artworks" / "sunset.json")[0] == [ws / "artworks" / "sunset.style-mask-1.png"]
    assert load_recipe_masks(new)[0] == [ws / "artworks" / "sunset.style-mask-1.png"]
    assert np.array_equal(np.asarray(Image.open(new)), pixels)  # the recipe inside changed, not the picture
    assert new.stat().st_mtime == pytest.approx(mtime)  # a rename does not move it to the top
    assert [it.name for it in page.visible_items()] == ["sunset", "older"]
    assert [it.name for it in page.selected_items()] == ["sunset"]
    assert "Renamed" in page.message()

    # Refused: a name that is taken, or not a name at all; nothing moves.
    renamed = page.selected_items()[0]
    assert page.rename(renamed, "older") is None and "already exists" in page.message()
    assert page.rename(renamed, "a/b") is None and new.exists()


def test_rename_dialog_checks_the_name_as_it_is_typed(qtbot, ws):
    _png(ws / "artworks" / "taken.png")
    art = _png(ws / "artworks" / "mine.png")
    item = next(it for it in scan_workspace(ws).items if it.path == art)
    dialog = RenameDialog(item)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # unchanged
    for bad, why in (("", "Type a name"), ("taken", "already exists"), ("a:b", "cannot contain"),
                     (".hidden", "dot"), ("x.style-mask-1", "mask")):
        dialog.edit.setText(bad)
        assert not ok.isEnabled() and why in dialog.error_label.text(), bad
    dialog.edit.setText("fresh name")
    assert ok.isEnabled() and dialog.error_label.text() == "" and dialog.name() == "fresh name"


def test_rename_a_run_and_animations_follow_it(qtbot, ws, page, tiny_run):
    run = ws / "runs" / "first"
    shutil.copytree(tiny_run, run)
    gif = _gif(ws / "animations" / "walk.gif")
    recipe = ws / "animations" / "walk.gif.json"
    recipe.write_text(json.dumps({"format": "gan-art-studio/walk", "timeline": {},
                                  "generator": {"path": str(run)}, "output": {"path": str(gif)}}))
    page.refresh()
    item = next(it for it in page.model.items() if it.kind == "run")
    assert page.rename(item, "portraits") == ws / "runs" / "portraits"
    assert (ws / "runs" / "portraits" / "config.json").is_file() and not run.exists()
    assert json.loads(recipe.read_text())["generator"]["path"] == str(ws / "runs" / "portraits")

    anim = next(it for it in page.model.items() if it.kind == "animation")
    assert page.rename(anim, "drift") == ws / "animations" / "drift.gif"
    moved = ws / "animations" / "drift.gif.json"
    assert moved.is_file() and not recipe.exists()
    assert json.loads(moved.read_text())["output"]["path"] == str(ws / "animations" / "drift.gif")

    page.busy_check = lambda p: "It is training right now." if p.name == "portraits" else None
    run_item = next(it for it in page.model.items() if it.kind == "run")
    assert page.rename(run_item, "other") is None and "training" in page.message()
    assert page.delete([run_item], confirm=False) == 0 and (ws / "runs" / "portraits").is_dir()


# ------------------------------------------------------------------------------------- delete
def test_delete_moves_item_and_recipe_to_the_trash(qtbot, ws, page, tmp_path, monkeypatch):
    art = _png(ws / "artworks" / "bye.png")
    art.with_suffix(".json").write_text("{}")
    keep = _png(ws / "artworks" / "keep.png")
    page.refresh()
    item = next(it for it in page.model.items() if it.name == "bye")
    asked = []
    monkeypatch.setattr(page, "confirm_delete", lambda items: asked.append(items) or False)
    assert page.delete([item]) == 0 and art.exists()  # "Cancel" keeps it
    monkeypatch.setattr(page, "confirm_delete", lambda items: True)
    page.select_item(art)
    page.delete_selected()
    trash = tmp_path / "data" / "Trash"
    assert not art.exists() and not art.with_suffix(".json").exists() and keep.exists()
    assert (trash / "files" / "bye.png").is_file() and (trash / "files" / "bye.json").is_file()
    assert (trash / "info" / "bye.png.trashinfo").is_file()
    assert [it.name for it in page.visible_items()] == ["keep"]
    assert "Moved 1 item to the trash" in page.message()


def test_delete_without_a_trash_asks_before_deleting_for_good(qtbot, ws, page, monkeypatch):
    run = _fake_run(ws / "runs" / "old-run")
    art = _png(ws / "artworks" / "art.png")
    page.refresh()
    monkeypatch.setattr(gallery_actions, "move_to_trash", lambda path: False)  # e.g. a drive without a trash folder
    monkeypatch.setattr(page, "confirm_delete", lambda items: True)
    answers = []
    monkeypatch.setattr(page, "confirm_permanent_delete", lambda items: answers.append(items) or False)
    items = page.model.items()
    assert page.delete(items) == 0
    assert run.is_dir() and art.is_file() and "trash is not available" in page.message()
    monkeypatch.setattr(page, "confirm_permanent_delete", lambda items: True)
    assert page.delete(page.model.items()) == 2
    assert not run.exists() and not art.exists() and page.visible_items() == []
    assert "Deleted 2 items permanently" in page.message()


# -------------------------------------------------------------------------------- copy, export
def test_copy_and_export(qtbot, ws, page, tmp_path, tiny_run):
    art = _png(ws / "artworks" / "pic.png", (0, 0, 255))
    art.with_suffix(".json").write_text(json.dumps({"kind": "x", "mask_files": {"style": ["pic.style-mask-1.png"]}}))
    _png(ws / "artworks" / "pic.style-mask-1.png", (255, 255, 255))
    run = ws / "runs" / "r1"
    shutil.copytree(tiny_run, run)
    page.refresh()
    item = next(it for it in page.model.items() if it.name == "pic")
    assert page.copy(item)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasImage() and [u.toLocalFile() for u in mime.urls()] == [str(art)]
    assert QGuiApplication.clipboard().image().pixelColor(1, 1).blue() == 255

    out = page.export(item, tmp_path / "elsewhere" / "gift")  # the suffix is added
    assert out == tmp_path / "elsewhere" / "gift.png" and out.is_file() and art.is_file()
    copied = json.loads((tmp_path / "elsewhere" / "gift.json").read_text())
    assert copied["mask_files"]["style"] == ["gift.style-mask-1.png"]
    assert (tmp_path / "elsewhere" / "gift.style-mask-1.png").is_file()
    assert page.export(item, out) is None and "already exists" in page.message()
    run_item = next(it for it in page.model.items() if it.kind == "run")
    assert page.export(run_item, tmp_path / "backup" / "r1") == tmp_path / "backup" / "r1"
    assert (tmp_path / "backup" / "r1" / "config.json").is_file()


# ---------------------------------------------------------------------------- open and routing
def test_open_emits_kind_and_path(qtbot, ws, page):
    art = _png(ws / "artworks" / "a.png")
    page.refresh()
    page.select_item(art)
    with qtbot.waitSignal(page.open_requested) as blocker:
        qtbot.mouseClick(page.action_buttons["open"], Qt.MouseButton.LeftButton)
    assert blocker.args == ["artwork", str(art)]
    rect = page.view.visualRect(page.proxy.index(0, 0))
    with qtbot.waitSignal(page.open_requested) as blocker:
        qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["artwork", str(art)]
    with qtbot.waitSignal(page.open_requested) as blocker:
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert blocker.args == ["artwork", str(art)]
    menu = page.context_menu()
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Open", "Show in folder", "Copy", "Export…", "Rename…", "Delete"]


def test_window_routes_gallery_items_to_their_pages(qtbot, ws, style_inputs, tiny_run, monkeypatch):
    from studio.engine.style.gatys import StyleSettings
    from studio.ui.window.window import MainWindow

    art = _stylize(style_inputs, ws / "artworks" / "cat.png")
    recipe = json.loads(art.with_suffix(".json").read_text())
    run = ws / "runs" / "tiny"
    shutil.copytree(tiny_run, run)
    window = MainWindow(load_engine=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        qtbot.waitUntil(lambda: window.engine_info is not None and window.stylize_page() is not None,
                        timeout=120_000)
        page = window.gallery_page()
        assert isinstance(page, GalleryPage) and window.page_widget("gallery") is page
        window.show_page("gallery")
        assert {it.path for it in page.visible_items()} == {art, run}

        page.select_item(art)
        with qtbot.waitSignal(page.open_requested) as blocker:
            page.open_selected()
        assert blocker.args == ["artwork", str(art)]
        stylize = window.stylize_page()
        assert window.current_page() == "stylize"
        assert stylize.settings().to_dict() == StyleSettings.from_dict(recipe["settings"]).to_dict()
        assert stylize.content.path() == str(style_inputs[0])

        window.show_page("gallery")
        page.select_item(run)
        page.open_selected()
        assert window.current_page() == "train"
        assert window.train_page().resume_banner.isVisibleTo(window.train_page())

        revealed = []
        monkeypatch.setattr(gallery_actions, "reveal_in_file_manager", lambda p: revealed.append(Path(p)) or True)
        gif = _gif(ws / "animations" / "plain.gif")  # no walk recipe: shown in the file manager
        window.show_page("gallery")
        assert window.open_gallery_item("animation", str(gif))
        assert revealed == [gif]
    finally:
        window.close()


def test_gallery_refreshes_when_a_job_finishes(qtbot, ws):
    from studio.ui.window.window import MainWindow

    window = MainWindow(load_engine=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.show_page("gallery")
        page = window.gallery_page()
        assert page.visible_items() == []
        if page.watcher.directories():  # only the job hook can tell it
            page.watcher.removePaths(page.watcher.directories())

        class WriteArtwork:
            title = "Saving"

            def run(self, ctx):
                return save_artwork(np.full((8, 8, 3), 90, np.uint8), ws / "artworks" / "made.png", {"kind": "t"})

        with qtbot.waitSignal(window.runner.finished, timeout=WAIT_MS):
            window.runner.start(WriteArtwork())
        qtbot.waitUntil(lambda: [it.name for it in page.visible_items()] == ["made"], timeout=5_000)
    finally:
        window.close()


def test_gallery_follows_new_files_in_watched_folders(qtbot, ws, page):
    (ws / "artworks").mkdir(parents=True)
    page.refresh()
    assert page.visible_items() == []
    _png(ws / "artworks" / "new.png")
    qtbot.waitUntil(lambda: [it.name for it in page.visible_items()] == ["new"], timeout=5_000)


# -------------------------------------------------------------------------------- workspace
def test_workspace_setting_and_change(qtbot, ws, page, tmp_path):
    assert workspace_dir() == ws
    other = tmp_path / "elsewhere"
    _png(other / "artworks" / "there.png")
    page.set_workspace(other)
    assert workspace_dir() == other and resolve_runtime().workspace == other  # the CLI (new runs) follows
    assert [it.name for it in page.visible_items()] == ["there"]
    assert page.status_label.text() == f"1 item · workspace: {other}"
    assert str(other) in page.message()
    set_workspace_dir(None)
    assert workspace_dir() == ws and resolve_runtime().workspace == ws


def test_pages_save_into_the_workspace_layout(ws):
    assert gallery.workspace_folder("artwork", ws) == ws / "artworks"
    assert gallery.ensure_workspace_folder("animation", ws) == ws / "animations"
    assert (ws / "animations").is_dir()


# ------------------------------------------------------------------------------- responsiveness
def test_thumbnails_arrive_without_blocking_the_first_paint(qtbot, ws, page, monkeypatch):
    for i in range(24):
        _png(ws / "artworks" / f"p{i:02d}.png", (i * 10, 100, 200), size=(300, 200))
    gate = threading.Event()
    threads = set()
    real = gallery_thumbnails.make_thumbnail

    def slow(*args, **kw):
        threads.add(threading.current_thread().name)
        gate.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(gallery_thumbnails, "make_thumbnail", slow)
    try:
        page.refresh()
        first = page.grab()  # the first paint: the grid with placeholders, thumbnails still being made
        assert not first.isNull()
        assert page.model.loaded_count() == 0 and page.thumbnails_pending() >= len(_states(page, True)) > 0
        assert set(_states(page).values()) == {"loading"}
    finally:
        gate.set()
    _wait_thumbnails(qtbot, page)
    on_screen = _states(page, on_screen=True)
    assert 6 <= len(on_screen) < 24 and set(on_screen.values()) == {"ready"}
    assert threads and threading.main_thread().name not in threads  # never on the GUI thread
    # Warm: the second time they come straight from the disk cache.
    assert all(gallery.cached_thumbnail(it.thumb_source, page.loader.cache_dir) for it in page.model.items())


def test_scan_of_a_thousand_items_is_fast(ws):
    folder = ws / "artworks"
    folder.mkdir(parents=True)
    img = Image.new("RGB", (8, 8), (30, 60, 90))
    for i in range(1000):
        img.save(folder / f"item-{i:04d}.png")
    scan_workspace(ws)  # warm the OS cache, like a second visit
    t0 = time.perf_counter()
    result = scan_workspace(ws)
    seconds = time.perf_counter() - t0
    print(f"\nscan of 1,000 items: {seconds * 1000:.1f} ms")
    assert len(result.items) == 1000 and result.skipped == []
    capped = scan_workspace(ws, max_items=10)  # a workspace pointed at a huge folder stops early
    assert len(capped.items) == 10 and "more than 10 items" in capped.skipped[-1].reason


def test_engine_gallery_keeps_startup_light():
    """The window installs the gallery at startup: the engine module it uses imports no numpy/Pillow."""
    import subprocess
    import sys

    code = ("import sys, studio.engine.gallery, studio.ui.gallery.page; "
            "print(sorted(m for m in ('numpy', 'torch', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_gallery_item_suffix_and_names():
    it = GalleryItem("animation", Path("/w/x.sheet.png"), "x", 0.0, 1, None)
    assert it.suffix == ".sheet.png"
    run = GalleryItem("run", Path("/w/runs/a"), "a", 0.0, 1, None)
    assert run.suffix == "" and run.thumb_key is None
