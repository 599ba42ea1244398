"""An artwork saved over an earlier one survives a SIGKILL at any moment (issue 14).

Each version of the artwork has its own number of masks and a tag that is written into the picture's embedded
recipe, its JSON and every mask's pixel value, so a mix of two versions is visible. After a kill the folder is
repaired the way the next save or recipe load repairs it (``recover_interrupted_saves``); then exactly one whole
version must be there: the earlier one, or the new one complete.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine import export
from studio.engine.export import read_artwork_recipe, recover_interrupted_saves
from studio.engine.style.gatys import RECIPE_KIND, StyleResult, StyleSettings, save_result

MASK_RE = re.compile(r"^art\.(style-mask|region)-\d+\.png$")


def _version(tag: int) -> StyleResult:
    """Odd tags: two style masks and content regions; even tags: one style mask, no regions."""
    rng = np.random.default_rng(tag)
    image = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    level = np.float32((tag % 200 + 20) / 255)
    count = 2 if tag % 2 else 1
    masks = [np.full((96, 96), level, np.float32) for _ in range(count)]
    regions = np.full((96, 96, count), level, np.float32) if tag % 2 else None
    recipe = {"kind": RECIPE_KIND, "version": 1, "tag": tag, "content": "c.png",
              "styles": [f"s{k}.png" for k in range(count)], "settings": StyleSettings().to_dict()}
    return StyleResult(image, recipe, 1, False, {"total": 1.0}, 0.1, [], masks, regions)


def _consistent_tag(folder: Path) -> int:
    """The tag of the one whole artwork in ``folder`` (asserting picture, JSON and masks all agree)."""
    art = folder / "art.png"
    with Image.open(art) as im:
        im.load()  # a complete picture, never half a file
    recipe = read_artwork_recipe(art)
    tag = recipe["tag"]
    assert json.loads((folder / "art.json").read_text()) == recipe, "the JSON beside is another version's"
    named = [n for n in recipe["mask_files"]["style"] if n] + list(recipe["mask_files"]["regions"] or [])
    present = sorted(n for n in os.listdir(folder) if MASK_RE.match(n))
    assert present == sorted(named), f"masks {present} but the recipe of version {tag} names {named}"
    for name in named:
        value = np.asarray(Image.open(folder / name))
        assert int(value.min()) == int(value.max()) == tag % 200 + 20, f"{name} belongs to another version"
    assert [n for n in os.listdir(folder) if n.startswith(".")] == [], "temporary files were left behind"
    return tag


def _save_forever(folder: str, first_tag: int, conn) -> None:
    tag = first_tag
    while True:
        save_result(_version(tag), Path(folder) / "art.png")
        conn.send(tag)
        tag += 1


def test_sigkill_while_saving_over_an_artwork_leaves_one_whole_version(tmp_path):
    ctx = multiprocessing.get_context("fork")  # the child inherits the loaded engine: rounds take milliseconds
    save_result(_version(0), tmp_path / "art.png")
    last = 0
    rng = random.Random(14)
    seen_journals = rounds = 0
    # 25 rounds, and more (up to 60) until a kill has landed inside the swap at least once: on a loaded machine a
    # save takes longer, so the kill moment is drawn from the save time measured in this very round
    while rounds < 25 or (seen_journals == 0 and rounds < 60):
        rounds += 1
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_save_forever, args=(str(tmp_path), last + 1, child), daemon=True)
        proc.start()
        child.close()
        assert parent.poll(60), "the saving process never finished a save"
        confirmed = parent.recv()
        t0 = time.perf_counter()
        assert parent.poll(60), "the saving process never finished a second save"
        confirmed = parent.recv()
        one_save = time.perf_counter() - t0
        parent.poll(rng.uniform(0.0, 1.2 * one_save))  # the kill lands somewhere inside a later save
        proc.kill()
        proc.join(10)
        assert proc.exitcode == -9
        while parent.poll():
            try:
                confirmed = parent.recv()
            except EOFError:
                break
        parent.close()
        seen_journals += any(n.endswith(".saving.json") for n in os.listdir(tmp_path))
        recover_interrupted_saves(tmp_path)  # what the next save or recipe load does first
        tag = _consistent_tag(tmp_path)
        assert tag in (confirmed, confirmed + 1), f"version {tag} after the last finished save {confirmed}"
        last = tag
    assert last > rounds  # every round saved at least once
    # about half the kills land inside the swap (measured 12–14 of 25): recovery was really exercised
    assert seen_journals >= 1


class _Crash(BaseException):
    """A process dying at this instruction: no except clause, no rollback runs."""


@pytest.mark.parametrize("call", ["replace", "link"])
def test_a_crash_at_every_rename_of_a_save_is_repaired_to_one_whole_version(tmp_path, monkeypatch, call):
    """Deterministic companion of the kill test: the save dies at each file-system step of the swap in turn."""
    real = getattr(os, call)
    state = {"n": 0, "at": 0}

    def dying(*args, **kwargs):
        state["n"] += 1
        if state["n"] == state["at"]:
            raise _Crash()
        return real(*args, **kwargs)

    save_result(_version(1), tmp_path / "art.png")
    monkeypatch.setattr(os, call, dying)
    state["at"] = 10**9
    save_result(_version(2), tmp_path / "art.png")
    steps = state["n"]
    assert steps >= 3
    outcomes = set()
    for at in range(1, steps + 1):
        monkeypatch.setattr(os, call, real)
        for p in tmp_path.iterdir():
            p.unlink()
        save_result(_version(1), tmp_path / "art.png")
        monkeypatch.setattr(os, call, dying)
        state.update(n=0, at=at)
        with pytest.raises(_Crash):
            save_result(_version(2), tmp_path / "art.png")
        monkeypatch.setattr(os, call, real)
        recover_interrupted_saves(tmp_path)
        outcomes.add(_consistent_tag(tmp_path))
    assert outcomes <= {1, 2} and 1 in outcomes  # early crashes roll back; after the commit mark it completes
    assert not export._LIVE_TOKENS
