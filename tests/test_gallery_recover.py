"""The Gallery repairs an artwork save that was killed half-way before listing it (issue 14): the artist
sees one whole version, never a picture with another version's recipe beside it or hidden leftovers."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("pytestqt")

from studio.engine.export import read_artwork_recipe, save_artwork  # noqa: E402
from studio.ui.gallery.page import GalleryPage  # noqa: E402
from studio.ui.workspace import set_workspace_dir  # noqa: E402


class _Crash(BaseException):
    """The saving process dying at this instruction: no except clause, no rollback runs."""


@pytest.fixture
def ws(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    monkeypatch.setenv("GAN_STUDIO_WORKSPACE", str(ws))
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    yield ws
    set_workspace_dir(None)


def picture(tag: int) -> np.ndarray:
    return np.full((24, 24, 3), tag * 40, np.uint8)


def test_a_save_killed_half_way_is_rolled_back_before_the_gallery_lists_it(qtbot, ws, monkeypatch):
    art = ws / "artworks" / "art.png"
    art.parent.mkdir(parents=True)
    save_artwork(picture(1), art, {"tag": 1})
    real = os.replace
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the new picture is in place, its recipe not yet: the worst moment
            raise _Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(os, "replace", dying)
    with pytest.raises(_Crash):
        save_artwork(picture(2), art, {"tag": 2})
    monkeypatch.setattr(os, "replace", real)
    assert any(n.endswith(".saving.json") for n in os.listdir(art.parent)), "the staged journal is the premise"

    page = GalleryPage()
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    try:
        page.refresh()
        names = [it.path.name for it in page.last_scan().items]
        assert names == ["art.png"]
        assert [n for n in os.listdir(art.parent) if n.startswith(".")] == []
        recipe = read_artwork_recipe(art)
        assert json.loads(art.with_suffix(".json").read_text())["tag"] == recipe["tag"]
        with Image.open(art) as im:
            assert int(np.asarray(im)[0, 0, 0]) == recipe["tag"] * 40  # picture and recipe are one version
    finally:
        page.shutdown(30_000)
