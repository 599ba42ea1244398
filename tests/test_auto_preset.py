"""`train --preset auto` (the default): the recommended preset for the folder's size, said out loud."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.cli import main
from studio.engine.dataset_advice import auto_preset
from studio.engine.gan.config import TrainConfig
from studio.engine.gan.models import PRESETS
from studio.engine.gan.regimes import recommend_preset, resolve_settings


def _folder(path, count: int, side: int = 32):
    path.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(path / f"{i:04d}.png")
    return path


@pytest.mark.parametrize("count,family", [(50, "small-data"), (200, "small-data"), (2000, "dcgan")])
def test_auto_picks_the_documented_recipe_for_the_folder(tmp_path, count, family):
    folder = _folder(tmp_path / f"n{count}", count)
    preset, why = auto_preset(str(folder), gpu=False)
    assert preset == recommend_preset(count, 32).preset
    if family == "dcgan":
        assert preset == "dcgan32" and "2,000 pictures" in why
    else:
        assert preset in ("lite32", "eyes32") and PRESETS[preset].family == "lite"
        assert f"{count} pictures" in why and ("small" in why.lower() or "tiny" in why.lower())
        # the reasons (the Train page's card, --preset auto) say what the run trains with: R1 at 32 px, not
        # spectral norm, and its kinds, as resolve_settings words it when the run starts
        told = recommend_preset(count, 32).explanation
        resolved, choice = resolve_settings(TrainConfig.for_preset(preset, device="cpu"), count)
        assert not resolved.spectral_norm and resolved.r1_gamma > 0
        assert "gradient penalty (R1)" in told and "spectrally normalised" not in told
        assert (f"into {resolved.kinds} kinds" in told) == bool(resolved.kinds) == (f"into {resolved.kinds} kinds"
                                                                                  in choice.explanation)


def test_cli_without_preset_uses_auto_and_says_which(tmp_path, capsys, monkeypatch):
    import tqdm

    monkeypatch.setattr(tqdm.tqdm, "monitor_interval", 0)  # in-process: no tqdm monitor thread left behind
    folder = _folder(tmp_path / "pics", 60)
    code = main(["train", "--data", str(folder), "--steps", "1", "--width", "4", "--batch-size", "4",
                 "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 0
    said = capsys.readouterr().out
    assert "preset auto → " in said
    import json

    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["preset"] == recommend_preset(60, 32).preset
    # resuming takes the run's own preset, whatever auto would pick now
    assert main(["train", "--resume", str(tmp_path / "run"), "--steps", "2", "--quiet"]) == 0


def test_auto_on_an_empty_folder_is_refused_in_words(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["train", "--data", str(tmp_path / "empty"), "--steps", "1", "--quiet"])
    assert code != 0
    err = capsys.readouterr().err
    assert "No images found" in err and "Traceback" not in err


def test_the_reasons_name_the_augmentations_the_run_uses():
    """The words follow the policy: a run without cutout is not said to have its pictures partly covered."""
    from studio.engine.gan.config import augment_words

    assert augment_words("cutout,color") == "recoloured and partly covered"
    _cfg, full = resolve_settings(TrainConfig.for_preset("lite32", augment_policy="color,translation,cutout"), 200)
    _cfg, two = resolve_settings(TrainConfig.for_preset("lite32", augment_policy="translation,color"), 200)
    assert "randomly recoloured, shifted and partly covered —" in full.explanation
    assert "randomly recoloured and shifted —" in two.explanation and "covered" not in two.explanation
