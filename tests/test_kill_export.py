"""A walk export killed outright (SIGKILL: no cleanup runs) never leaves a half-written file under its name.

The export writes to a temp file beside the output and renames it in at the end, recipe after it. Here a
real ``walk`` subprocess re-exports over an earlier export and is killed at moments spread over its whole
life (start-up, rendering, encoding, renaming): afterwards the GIF and its recipe are each either the
earlier export, byte for byte, or the complete new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FRAMES = 24  # per segment; 3 seeds looping = 72 frames


def make_generator(folder: Path) -> Path:
    from safetensors.torch import save_file

    from studio.engine.gan.models import build_gan

    g, _ = build_gan("dcgan32", 3, 16, 4, 32)
    path = folder / "gen.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    meta = {"format": "gan-art-studio/generator", "version": 1, "preset": "dcgan32", "latent_dim": 16,
            "channels": 3, "image_size": 32, "width": 4, "step": 1, "weights": "raw",
            "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def walk_command(gen: Path, out: Path, seeds: str) -> list[str]:
    return [sys.executable, "-m", "studio", "walk", "--generator", str(gen), "--seeds", seeds, "--loop",
            "--frames", str(FRAMES), "--size", "160", "--out", str(out), "--quiet"]


def assert_complete_gif(path: Path) -> None:
    """Ends with the GIF trailer and decodes to its last frame (identical neighbours may be merged, so the
    frame count of an untrained generator's walk is not a completeness test)."""
    blob = path.read_bytes()
    assert blob.startswith(b"GIF89a") and blob.endswith(b";"), "truncated GIF under the final name"
    with Image.open(path) as im:
        im.seek(im.n_frames - 1)
        np.asarray(im.convert("RGB"))


@pytest.mark.timeout(240)
def test_sigkill_at_any_moment_leaves_the_earlier_export_or_the_complete_new_one(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    gen = make_generator(tmp_path)
    out = tmp_path / "walk.gif"
    recipe = tmp_path / "walk.gif.json"
    start = time.monotonic()
    first = subprocess.run(walk_command(gen, out, "1,2,3"), env=env, capture_output=True, text=True, timeout=90)
    full = time.monotonic() - start
    assert first.returncode == 0, first.stderr
    old_gif, old_recipe = out.read_bytes(), recipe.read_bytes()
    assert_complete_gif(out)

    rng = np.random.default_rng(14)
    outcomes, mid_write, i = set(), 0, -1
    # three rounds, and more (up to 8) until one kill has landed while the GIF was being written: on a quiet,
    # fast machine that window is short, so later rounds kill within a few milliseconds of the temp file appearing
    while i < 2 or (mid_write == 0 and i < 7):
        i += 1
        proc = subprocess.Popen(walk_command(gen, out, f"{7 + i},8,9"), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            if i == 0:  # any moment of the export's life, start-up included
                time.sleep(rng.uniform(0.4, 1.0) * full)
            else:  # a random moment once the temp file exists: encoding, renaming, writing the recipe
                deadline = time.monotonic() + 90
                while not list(tmp_path.glob(".walk.gif.*")) and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.3) if i < 3 else rng.uniform(0.0, 0.01))
        finally:
            proc.send_signal(signal.SIGKILL)
            mid_write += bool(list(tmp_path.glob(".walk.gif.*")))  # killed between temp file and rename
            proc.wait(30)
        gif, rec = out.read_bytes(), recipe.read_bytes()
        if gif == old_gif:
            outcomes.add("earlier kept")
        else:  # replaced: only by a complete export of the new walk
            assert_complete_gif(out)
            outcomes.add("new complete")
        if rec != old_recipe:
            data = json.loads(rec)
            assert data["timeline"]["keyframes"][0]["seed"] == 7 + i and data["output"]["frames"] == 3 * FRAMES
        names = {p.name for p in tmp_path.iterdir()}
        assert {"walk.gif", "walk.gif.json"} <= names  # never removed, whatever the moment
        for stale in tmp_path.glob(".walk.gif.*"):
            stale.unlink()  # a killed export's temp file: never under the final name
        old_gif, old_recipe = gif, rec
    assert mid_write >= 1, "no kill landed while the GIF was being written"  # the test tested something
