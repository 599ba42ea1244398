"""Fuzzing every reader of user-supplied files: the only way out is the studio's own refusal, quickly.

Each property writes hypothesis-made bytes or JSON (random, or a valid file with one part replaced) where
a reader expects a user file and asserts that the reader either works or raises a ``StudioError`` — never
a traceback type — within hypothesis' deadline. Examples are few (the suite runs on 2 shared cores);
memory stays bounded because every reader checks sizes before allocating (checked at the end).
"""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

# Every reader is imported up front, so no example pays for a first import.
from studio.engine.errors import StudioError
from studio.engine.gan.checkpoints import load_checkpoint
from studio.engine.gan.trainer import TrainConfig
from studio.engine.images import load_image
from studio.engine.latent.jobs import WalkExportJob, load_recipe, open_generator, verify_generator
from studio.engine.runs import RunDir
from studio.engine.schema import FAVOURITES, validate
from studio.engine.style import gatys
from studio.engine.style.masks import load_content_regions, load_style_mask

# The deadline is a hang detector, not a timing assertion: 2 shared cores make single examples slow at times.
# STUDIO_FUZZ_EXAMPLES=2000 searches deeper (and randomly) when a reader changes.
_EXAMPLES = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=_EXAMPLES, deadline=10_000, derandomize=_EXAMPLES <= 40, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10 ** 12), 10 ** 12),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=20)


def _dump(value) -> str:
    return json.dumps(value, allow_nan=True)


def mutate(doc: dict, data) -> dict:
    """``doc`` with one field somewhere inside replaced by a random JSON value (or deleted)."""
    doc = json.loads(json.dumps(doc))
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return doc
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and data.draw(st.integers(0, 5)) == 0:
            del node[key]
        else:
            node[key] = data.draw(json_value)
        return doc


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@pytest.fixture(scope="module")
def generator(folder) -> Path:
    import hashlib

    from safetensors.torch import save_file

    from studio.engine.gan.models import build_gan

    g, _ = build_gan("dcgan32", 3, 8, 2, 32)
    path = folder / "gen.safetensors"
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    meta = {"format": "gan-art-studio/generator", "version": 1, "preset": "dcgan32", "latent_dim": 8,
            "channels": 3, "image_size": 32, "width": 2, "step": 1, "weights": "raw",
            "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


VALID_PNG = _png_bytes()


@FUZZ
@given(st.one_of(st.binary(max_size=2048),
                 st.builds(lambda pos, b: VALID_PNG[:pos] + bytes([b]) + VALID_PNG[pos + 1:],
                           st.integers(0, len(VALID_PNG) - 1), st.integers(0, 255)),
                 st.builds(lambda n: VALID_PNG[:n], st.integers(0, len(VALID_PNG)))),
       st.sampled_from([".png", ".jpg", ".gif", ".webp", ".tif", ".bmp"]))
def test_image_loader(folder, blob, suffix):
    path = folder / f"fuzz{suffix}"
    path.write_bytes(blob)
    try:
        load_image(path).close()
    except StudioError:
        pass


@FUZZ
@given(st.binary(max_size=512), st.sampled_from(["style", "regions"]))
def test_mask_loaders(folder, blob, which):
    path = folder / "mask.png"
    path.write_bytes(VALID_PNG[:16] + blob if blob[:1] == b"\0" else blob)
    try:
        if which == "style":
            load_style_mask(path, (8, 8))
        else:
            load_content_regions(path, 2, (8, 8))
    except StudioError:
        pass


def _walk_recipe(generator: Path) -> dict:
    from studio.engine.latent.keyframes import Timeline

    return {"format": "gan-art-studio/walk", "version": 1, "generator": {"path": str(generator), "sha256": ""},
            "timeline": Timeline.from_seeds([1, 2], 3).to_dict(),
            "output": {"format": "gif", "size": 32, "fps": 24, "grid": {"cells": 4, "columns": 2, "padding": 2}}}


@FUZZ
@given(st.data())
def test_walk_recipe_reader(folder, generator, data):
    doc = mutate(_walk_recipe(generator), data) if data.draw(st.booleans()) else data.draw(json_value)
    path = folder / "walk.gif.json"
    path.write_text(_dump(doc))
    try:
        gen, timeline, out = load_recipe(path)
        grid = out.get("grid") or {}
        WalkExportJob(gen, timeline, folder / "w.gif", size=out.get("size"), grid=grid.get("cells", 1),
                      grid_columns=grid.get("columns"), palette_colors=out.get("palette_colors", 256))
    except StudioError:
        pass


@FUZZ
@given(st.data())
def test_style_recipe_reader(folder, data):
    valid = {"kind": gatys.RECIPE_KIND, "content": "c.png", "styles": ["s.png"], "style_blend": [1.0],
             "settings": gatys.StyleSettings().to_dict()}
    doc = mutate(valid, data) if data.draw(st.booleans()) else data.draw(json_value)
    path = folder / "art.json"
    path.write_text(_dump(doc))
    try:
        settings, *_ = gatys.load_recipe(path)
        settings.validate()
    except StudioError:
        pass


@FUZZ
@given(st.data())
def test_run_config_reader(data):
    from dataclasses import asdict

    valid = {**asdict(TrainConfig.for_preset("dcgan32", width=4)), "config_version": 2, "resolved_channels": 3,
             "image_size": 32}
    doc = mutate(valid, data) if data.draw(st.booleans()) else data.draw(json_value)
    try:
        TrainConfig.from_saved_run(doc).validate()
    except StudioError:
        pass
    except ValueError as exc:  # validate()'s own refusal: a sentence, not a crash
        assert str(exc).startswith("Invalid training settings")


@pytest.fixture(scope="module")
def run_folder(folder) -> Path:
    from studio.engine.gan.checkpoints import save_checkpoint
    from studio.engine.gan.models import build_gan

    run = folder / "run"
    g, _ = build_gan("dcgan32", 3, 8, 2, 32)
    save_checkpoint(run / "checkpoints", 1, modules={"G": g}, optimizers={}, extra_tensors={}, state={})
    cfg = {"preset": "dcgan32", "latent_dim": 8, "width": 2, "resolved_channels": 3, "image_size": 32}
    (run / "config.json").write_text(json.dumps(cfg))
    return run


@FUZZ
@given(st.data())
def test_run_folder_readers(run_folder, data):
    cfg = {"preset": "dcgan32", "latent_dim": 8, "width": 2, "resolved_channels": 3, "image_size": 32}
    ck_path = run_folder / "checkpoints" / "step_0000001.json"
    ck_valid = json.loads(ck_path.read_text())
    which = data.draw(st.sampled_from(["config", "checkpoint", "metrics"]))
    saved = {p: p.read_bytes() for p in (run_folder / "config.json", ck_path)}
    try:
        if which == "config":
            (run_folder / "config.json").write_text(_dump(mutate(cfg, data)))
        elif which == "checkpoint":
            ck_path.write_text(_dump(mutate(ck_valid, data)))
        else:
            lines = data.draw(st.lists(st.one_of(json_value.map(_dump), st.text(max_size=30)), max_size=6))
            (run_folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
            (run_folder / "health.jsonl").write_text("\n".join(reversed(lines)) + "\n")
            RunDir(run_folder).read_metrics()
            RunDir(run_folder).read_health()
            return
        try:
            load_checkpoint(ck_path)
            open_generator(run_folder)
        except StudioError:
            pass
    finally:
        for p, blob in saved.items():
            p.write_bytes(blob)


@FUZZ
@given(st.data())
def test_generator_readers(generator, data):
    desc = generator.with_suffix(".json")
    saved = {generator: generator.read_bytes(), desc: desc.read_bytes()}
    try:
        if data.draw(st.booleans()):
            desc.write_text(_dump(mutate(json.loads(saved[desc]), data)))
        else:  # a new header (random or a mutated real one) over the real tensor data
            blob = saved[generator]
            (n,) = struct.unpack("<Q", blob[:8])
            header = json.loads(blob[8:8 + n])
            new = mutate(header, data) if data.draw(st.booleans()) else data.draw(json_value)
            raw = _dump(new).encode()
            generator.write_bytes(struct.pack("<Q", len(raw)) + raw + blob[8 + n:])
        try:
            verify_generator(generator)
            open_generator(generator)
        except StudioError:
            pass
    finally:
        for p, blob in saved.items():
            p.write_bytes(blob)


@FUZZ
@given(st.data())
def test_favourites_schema(data):
    valid = {"format": "gan-art-studio/favourites", "version": 1, "generator_sha256": "",
             "items": [{"seed": 3, "label": "seed 3"}, {"seed": None, "latent": [0.5, -1.0], "label": "v"}]}
    doc = mutate(valid, data) if data.draw(st.booleans()) else data.draw(json_value)
    try:
        validate(doc, FAVOURITES, "favourites.json")
    except StudioError:
        pass


def test_fuzzing_kept_memory_bounded():
    """Runs last in this file: the process' peak memory stayed far below what an unchecked size would cost."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < 4096, f"peak memory {peak_mb:.0f} MB"
