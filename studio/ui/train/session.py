"""The Train page's part of the working session: what an artist had chosen (pictures, model, settings) is
written when the studio closes and offered back when it starts (the window asks every page).

The state is plain JSON. Restoring checks every value before using it (the file may be old, edited or
damaged): a setting that does not pass is dropped with a sentence and the rest is restored; pictures that
are gone are said by name, never silently replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.ui.train.page import TrainPage

__all__ = ["SESSION_VERSION", "restore_session", "session_state"]

SESSION_VERSION = 1
MAX_PATHS = 10_000  # a dataset picked by hand is a few folders or files; more is not ours


def session_state(page: TrainPage) -> dict:
    """The choices on show, JSON-serialisable."""
    dataset: dict[str, Any] | None = None
    requested = page.dataset.requested()
    if isinstance(requested, str):
        dataset = {"builtin": requested}
    elif requested:
        dataset = {"paths": [str(p) for p in requested]}
    settings = json.loads(json.dumps(page.settings.values(), default=str))
    state = {"version": SESSION_VERSION, "dataset": dataset, "fit": page.dataset.fit_mode(),
             "hflip": bool(page.dataset.hflip.isChecked()),
             "sample_every_s": float(page.samples.interval.value()), "settings": settings}
    if page._resume_dir is not None and not page._continue_offer:
        state["continue_run"] = str(page._resume_dir)
    return state


def restore_session(page: TrainPage, state: dict) -> list[str]:
    """Put the choices back; returns (and shows) one sentence per thing that could not be restored."""
    from studio.engine.dataset_scan import BUILTIN_SOURCES

    problems: list[str] = []
    if not isinstance(state, dict):
        return _said(page, ["The last session's Train settings could not be read; the defaults are shown."])
    if page.is_training():
        return []  # never under a running job's feet
    problems += _restore_settings(page, state.get("settings"))
    fit = state.get("fit")
    if isinstance(fit, str):
        page.dataset.set_fit_mode(fit)
    if isinstance(state.get("hflip"), bool):
        page.dataset.hflip.setChecked(state["hflip"])
    interval = state.get("sample_every_s")
    if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval > 0:
        page.samples.interval.setValue(float(interval))

    run = state.get("continue_run")
    if isinstance(run, str) and run:
        if Path(run).is_dir():
            page.resume_run(run)
            return _said(page, problems)
        problems.append(f"The run you were about to continue, {run}, is no longer there.")

    dataset = state.get("dataset")
    if isinstance(dataset, dict):
        builtin, paths = dataset.get("builtin"), dataset.get("paths")
        if isinstance(builtin, str):
            if builtin in BUILTIN_SOURCES:
                page.use_builtin_dataset(builtin)
            else:
                problems.append(f"The built-in picture set {builtin!r} of the last session does not exist here.")
        elif isinstance(paths, list) and paths and len(paths) <= MAX_PATHS:
            paths = [p for p in paths if isinstance(p, str) and p]
            here = [p for p in paths if Path(p).exists()]
            gone = [p for p in paths if p not in here]
            if gone:
                shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
                problems.append(f"The pictures of the last session are no longer at {shown}: "
                                f"choose them again{' (the others are restored)' if here else ''}.")
            if here:
                page.set_dataset(here)
    return _said(page, problems)


def _restore_settings(page: TrainPage, values: Any) -> list[str]:
    from studio.engine.gan.config import PRESETS, TrainConfig
    from studio.engine.schema import RUN_CONFIG, validate

    if not isinstance(values, dict):
        return []
    preset = values.get("preset")
    if preset not in PRESETS:
        return [f"The model of the last session ({preset!r}) does not exist here; the settings were not restored."]
    try:
        checked = validate({**values, "data": "demo"}, RUN_CONFIG, "the last session's Train settings")
        cfg = TrainConfig.from_dict({**checked, "data": "demo"})
        cfg.validate()
    except (ValueError, TypeError) as exc:  # a SchemaError is a ValueError too
        page.settings.set_preset(preset)
        page.settings.apply_preset(preset, keep_session=False)
        return [f"{str(exc).rstrip('.')}. The model was restored with its usual settings."]
    page.settings.restore_values({k: v for k, v in checked.items() if k != "data"})
    return []


def _said(page: TrainPage, problems: list[str]) -> list[str]:
    for text in problems:
        page._show_notice(text, "warning")
    return problems
