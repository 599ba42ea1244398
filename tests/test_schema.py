"""The JSON formats the studio reads are checked field by field, and a refusal names the file and the field."""

from __future__ import annotations

import json
import struct

import pytest

from studio.engine.errors import StudioError, describe_error
from studio.engine.schema import (
    CHECKPOINT_JSON,
    FAVOURITES,
    GENERATOR_JSON,
    RUN_CONFIG,
    STYLE_RECIPE,
    WALK_RECIPE,
    Enum,
    Int,
    List,
    Num,
    Obj,
    SchemaError,
    read_json_file,
    read_safetensors_header,
    validate,
)


def walk_recipe(**output) -> dict:
    return {"format": "gan-art-studio/walk", "version": 1, "generator": {"path": "g.safetensors", "sha256": ""},
            "timeline": {"keyframes": [{"seed": 1, "latent": None, "label": ""}, {"seed": 2}],
                         "segments": [{"frames": 4}], "fps": 24.0},
            "output": {"format": "gif", "size": 64, **output}}


def test_the_issue_example_names_file_field_range_and_value():
    with pytest.raises(SchemaError) as err:
        validate(walk_recipe(size="big"), WALK_RECIPE, "/somewhere/walk.gif.json")
    assert str(err.value) == "walk.gif.json: output.size must be a whole number between 16 and 4096, not 'big'"
    assert isinstance(err.value, StudioError) and "SchemaError" not in describe_error(err.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_numbers_are_refused_everywhere(value):
    bad = walk_recipe()
    bad["timeline"]["fps"] = value
    with pytest.raises(SchemaError, match=r"timeline\.fps must be a number above 0 and at most 240"):
        validate(bad, WALK_RECIPE, "w.json")
    with pytest.raises(SchemaError, match=r"style_blend\[1\] must be a number"):
        validate({"kind": "x", "style_blend": [1.0, value]}, STYLE_RECIPE, "r.json")


def test_list_items_nested_objects_and_lengths_are_named():
    bad = walk_recipe()
    bad["timeline"]["keyframes"][1]["latent"] = [0.0, "x"]
    with pytest.raises(SchemaError, match=r"timeline\.keyframes\[1\]\.latent\[1\] must be a number"):
        validate(bad, WALK_RECIPE, "w.json")
    bad = walk_recipe(grid={"cells": 4, "columns": 1_000_000, "padding": 2})
    with pytest.raises(SchemaError, match=r"output\.grid\.columns must be a whole number between 1 and 64"):
        validate(bad, WALK_RECIPE, "w.json")
    bad = walk_recipe()
    bad["timeline"]["keyframes"] = []
    with pytest.raises(SchemaError, match=r"timeline\.keyframes must be a list of 1 to"):
        validate(bad, WALK_RECIPE, "w.json")
    with pytest.raises(SchemaError, match=r"settings must be an object, not a list of 2 items"):
        validate({"kind": "x", "settings": [1, 2]}, STYLE_RECIPE, "r.json")
    with pytest.raises(SchemaError, match=r"settings\.size must be a whole number .* not 'big'"):
        validate({"kind": "x", "settings": {"size": "big"}}, STYLE_RECIPE, "r.json")


def test_kinds_are_json_kinds():
    assert validate(24.0, Int(1, 100), "f") == 24  # a hand-edited 24.0 means 24
    for bad in (True, "3", 2.5, None, [3]):
        with pytest.raises(SchemaError):
            validate(bad, Int(1, 100), "f")
    with pytest.raises(SchemaError):
        validate(True, Num(0, 1), "f")
    with pytest.raises(SchemaError):
        validate(10 ** 400, Num(), "f")  # a JSON integer too big for a float
    assert validate(3, Enum(1, 3), "f") == 3
    with pytest.raises(SchemaError, match="one of 1, 3"):
        validate(True, Enum(1, 3), "f")  # true is not 1
    with pytest.raises(SchemaError, match="x is missing"):
        validate({}, Obj({"x": Int()}, required=("x",)), "f")
    assert validate({"x": 1, "newer": "kept"}, Obj({"x": Int()}), "f") == {"x": 1, "newer": "kept"}
    with pytest.raises(SchemaError, match="a list of at most 2 items"):
        validate([1, 2, 3], List(Int(), 0, 2), "f")


def test_each_format_accepts_what_the_studio_writes_and_refuses_wrong_types():
    cfg = {"data": "demo", "preset": "dcgan32", "width": 4, "latent_dim": 16, "batch_size": 8, "lr_g": 2e-4,
           "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "seed": 0, "steps": 2, "augment": None, "aug_p": None,
           "ema": None, "resolved_channels": 3, "image_size": 32, "config_version": 2, "fine_tuned_from": {}}
    assert validate(cfg, RUN_CONFIG, "config.json") == cfg
    with pytest.raises(SchemaError, match=r"config\.json: batch_size must be a whole number between 1 and 65536"):
        validate({**cfg, "batch_size": "64"}, RUN_CONFIG, "config.json")
    with pytest.raises(SchemaError, match="latent_dim"):
        validate({**cfg, "latent_dim": 10 ** 9}, RUN_CONFIG, "config.json")
    gen = {"format": "gan-art-studio/generator", "version": 1, "preset": "dcgan32", "latent_dim": 16,
           "channels": 3, "image_size": 32, "width": 4, "step": 2, "weights_sha256": "ab" * 32, "weights": "ema"}
    assert validate(gen, GENERATOR_JSON, "g.json") == gen
    for field, value in (("width", 200_000), ("latent_dim", 1e9), ("channels", 2), ("weights_sha256", "nope")):
        with pytest.raises(SchemaError, match=f"g.json: {field} must be"):
            validate({**gen, field: value}, GENERATOR_JSON, "g.json")
    ck = {"format": "gan-art-studio/checkpoint", "version": 1, "step": 3, "weights": "step_0000003.safetensors",
          "weights_bytes": 10, "weights_sha256": "0" * 64, "optimizers": {"G": {"param_groups": [{}], "scalars": {}}},
          "state": {}}
    assert validate(ck, CHECKPOINT_JSON, "c.json") == ck
    with pytest.raises(SchemaError, match="weights must be a plain file name"):
        validate({**ck, "weights": "../../elsewhere.safetensors"}, CHECKPOINT_JSON, "c.json")
    fav = {"format": "gan-art-studio/favourites", "items": [{"seed": 3, "label": "x"}, {"latent": [0.1, 0.2]}]}
    assert validate(fav, FAVOURITES, "f.json") == fav
    with pytest.raises(SchemaError, match=r"items\[0\]\.seed must be a whole number"):
        validate({**fav, "items": [{"seed": "3"}]}, FAVOURITES, "f.json")


def test_read_json_file_refuses_unreadable_and_oversized_files_in_words(tmp_path):
    p = tmp_path / "r.json"
    p.write_bytes(b"\xff\xfe not text")
    with pytest.raises(SchemaError, match="r.json is not a readable JSON file"):
        read_json_file(p)
    p.write_text("[" * 100_000)  # deep nesting: RecursionError inside json
    with pytest.raises(SchemaError, match="not a readable JSON"):
        read_json_file(p)
    p.write_text('{"kind": "x"}')
    with pytest.raises(SchemaError, match="too large"):
        read_json_file(p, max_bytes=5)
    with pytest.raises(SchemaError, match="missing"):
        read_json_file(tmp_path / "gone.json")
    p.write_text('{"kind": "x", "style_blend": [NaN]}')
    with pytest.raises(SchemaError, match=r"style_blend\[0\] must be a number .* not NaN"):
        read_json_file(p, STYLE_RECIPE)


def _safetensors(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_safetensors_header_is_read_without_the_tensors_and_checked_against_the_file(tmp_path):
    import torch
    from safetensors.torch import save_file

    good = tmp_path / "good.safetensors"
    save_file({"a": torch.zeros(2, 3), "b": torch.ones(4, dtype=torch.int64)}, str(good))
    assert read_safetensors_header(good) == {"a": ("F32", (2, 3)), "b": ("I64", (4,))}
    bad = tmp_path / "bad.safetensors"
    cases = {
        "promises more than the file holds": _safetensors({"w": {"dtype": "F32", "shape": [200000, 200000],
                                                                 "data_offsets": [0, 4]}}, b"\0" * 4),
        "offsets past the end": _safetensors({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}),
        "unknown dtype": _safetensors({"w": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
        "overlap": _safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                 "v": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8),
        "huge header length": struct.pack("<Q", 1 << 60) + b"{}",
        "not JSON": struct.pack("<Q", 4) + b"\xff\xff\xff\xff",
        "too short": b"\x01",
    }
    for why, blob in cases.items():
        bad.write_bytes(blob)
        with pytest.raises(SchemaError, match="bad.safetensors"):
            read_safetensors_header(bad)
            pytest.fail(f"accepted a header with {why}")
