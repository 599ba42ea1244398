"""The terminal and the app read one preferences file the same way, so a run lands where the app looks.

Why: the CLI used to ignore the preferences (the GUI handed its workspace to the engine through an
environment variable only it set), so `python -m studio train` wrote runs into a folder the Gallery and
the Explore page never showed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from studio.preferences import Config, reset_config_cache, save_config

REPO = Path(__file__).resolve().parents[1]


def _pictures(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def _train(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "GAN_STUDIO_CONFIG_DIR": str(tmp_path / "config"),
           "GAN_STUDIO_WORKSPACE": str(tmp_path / "engine-default")}
    cmd = [sys.executable, "-m", "studio", "train", "--data", str(tmp_path / "pictures"), "--preset", "dcgan32",
           "--width", "8", "--batch-size", "4", "--steps", "1", "--metrics-every", "0", "--no-health",
           "--regime", "manual", "--quiet", *extra]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_a_cli_run_lands_in_the_workspace_the_gui_shows(tmp_path, monkeypatch):
    _pictures(tmp_path / "pictures")
    chosen = tmp_path / "my workspace"
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GAN_STUDIO_WORKSPACE", str(tmp_path / "engine-default"))
    reset_config_cache()
    try:
        save_config(Config(workspace=str(chosen), device="cpu"))  # what the Settings dialog writes
        proc = _train(tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]

        from studio.ui.workspace import workspace_dir  # the GUI's own answer, from the same file

        gui_runs = workspace_dir() / "runs"
        assert workspace_dir() == chosen
        runs = [p for p in gui_runs.iterdir() if (p / "config.json").is_file()]
        assert len(runs) == 1, proc.stdout + proc.stderr
        assert f"run directory: {runs[0]}" in proc.stdout + proc.stderr
        assert not (tmp_path / "engine-default").exists()  # not the folder the app would not show
        assert json.loads((runs[0] / "config.json").read_text())["device"] == "cpu"  # the preferred device

    finally:
        reset_config_cache()


def test_a_refused_cli_run_leaves_no_empty_folder_in_the_workspace(tmp_path, monkeypatch):
    _pictures(tmp_path / "pictures")
    chosen = tmp_path / "ws"
    monkeypatch.setenv("GAN_STUDIO_CONFIG_DIR", str(tmp_path / "config"))
    reset_config_cache()
    try:
        save_config(Config(workspace=str(chosen)))
        proc = _train(tmp_path, "--lr-g", "-1")  # refused before any training
        assert proc.returncode != 0 and "--lr-g -1 is out of range" in proc.stderr
        assert not (chosen / "runs").exists() or not any((chosen / "runs").iterdir())
    finally:
        reset_config_cache()
