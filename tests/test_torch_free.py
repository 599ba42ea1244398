"""`python -m studio --help` and the shared settings modules must not load torch.

Why: torch costs seconds to import; a terminal user asking for help, the CLI parser and the GUI's first
window should not pay for it. Each check runs in a fresh interpreter (this test process has torch
loaded already) and reports which heavy modules ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "numpy", "PySide6")

# Runs the studio's own entry point, then reports the heavy modules loaded (argparse exits with SystemExit).
_REPORT = """
print("LOADED=" + json.dumps({"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
"""
_WRAPPER = """
import json, runpy, sys
sys.argv = ["studio", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("studio", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code or 0
""" + _REPORT


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = f"HEAVY = {list(HEAVY)!r}\n" + code
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)


def _loaded(proc: subprocess.CompletedProcess) -> dict:
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")), None)
    assert line is not None, proc.stderr[-2000:]
    return json.loads(line[len("LOADED="):])


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["walk", "--help"], ["stylize", "--help"],
                                  ["presets"]])
def test_cli_help_does_not_import_torch(argv):
    proc = _run(_WRAPPER, json.dumps(argv))
    result = _loaded(proc)
    assert result["code"] == 0, proc.stderr[-2000:]
    assert result["heavy"] == [], f"python -m studio {' '.join(argv)} loaded {result['heavy']}"
    assert "usage: python -m studio" in proc.stdout or argv == ["presets"]
    if argv == ["train", "--help"]:
        assert "lite64" in proc.stdout and "--augment" in proc.stdout  # the presets and names are really there
    if argv == ["stylize", "--help"]:
        assert "lesson-content-only" in proc.stdout
    if argv == ["walk", "--help"]:
        assert "ease-in-out" in proc.stdout
    if argv == ["presets"]:
        assert "Small-data GAN 64×64" in proc.stdout


def test_shared_types_import_without_torch():
    code = """
import json, sys
code = 0
import studio.engine.errors, studio.engine.gan.config, studio.engine.style.settings, studio.engine.latent.timeline
import studio.preferences, studio.engine.gan.regimes
from studio.engine.gan.config import TrainConfig
from studio.engine.latent.timeline import Timeline
from studio.engine.style.settings import preset_settings
TrainConfig.for_preset("lite32", data="demo").validate()
Timeline.from_dict(Timeline.from_seeds([1, 2, 3], 4, "ease-in-out", loop=True).to_dict())
preset_settings("lesson-content-only").validate()
""" + _REPORT
    proc = _run(code)
    result = _loaded(proc)
    assert result["heavy"] == [], f"the shared types loaded {result['heavy']}"


def test_torch_modules_use_the_shared_definitions():
    """One definition each: the torch modules hand out the very objects the torch-free modules define."""
    from studio.engine.gan import augment, config, losses, models, trainer
    from studio.engine.latent import easing, keyframes, timeline
    from studio.engine.style import gatys, masks, settings

    assert trainer.TrainConfig is config.TrainConfig and trainer.TrainResult is config.TrainResult
    assert models.PRESETS is config.PRESETS and models.PresetInfo is config.PresetInfo
    assert losses.LOSSES is config.LOSSES and augment.parse_policy is config.parse_policy
    assert augment.OPS == config.AUGMENT_OPS and augment.DEFAULT_POLICY == config.DEFAULT_AUGMENT_POLICY
    assert gatys.StyleSettings is settings.StyleSettings and gatys.LESSON_PRESETS is settings.LESSON_PRESETS
    assert gatys.preset_settings is settings.preset_settings and masks.REGION_COLORS is settings.REGION_COLORS
    assert keyframes.Timeline is timeline.Timeline and keyframes.TimelineError is timeline.TimelineError
    assert tuple(easing.EASINGS) == timeline.EASING_NAMES
    assert set(settings.LESSON_PRESET_INFO) == set(settings.LESSON_PRESETS)  # every preset has its words
