"""The Stylize page's part of the working session: the photo, the paintings and their blend weights, the preset
and every setting are written when the studio closes (and every few minutes) and offered back when it starts.

A session is a recipe without a result, so the settings go through the same checks as an opened recipe
(``schema.STYLE_SETTINGS`` for types, ``check_settings`` for ranges). The state file may be old, edited or damaged:
a state of the wrong shape is refused in one sentence before anything on the page changes; past that, each thing
that cannot come back (a photo or painting that is gone, settings out of range) is named in a sentence of its own
and everything else is restored.

Brush masks (a painting's selection, where each style goes on the photo) live only in memory, so they are not
kept; a restore says so when the last session had some, rather than letting the artist find out at the next run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.engine.schema import STYLE_SETTINGS, Bool, List, Num, Obj, Opt, Str, validate
from studio.engine.style.gatys import StyleError, StyleSettings, check_settings
from studio.engine.style.settings import LESSON_PRESETS

if TYPE_CHECKING:
    from studio.ui.stylize.page import StylizePage

__all__ = ["SESSION_VERSION", "restore_session", "session_state"]

SESSION_VERSION = 1
MAX_PAINTINGS = 64  # as many as a recipe may name
WHAT = "the last session's Stylize inputs"
NOT_KEPT = ("style_blend", "keep_on_stop", "device")  # weights live in the list; the stop choice and the device
# are this run's and this machine's, not the artist's work

SESSION_SPEC = Obj({
    "version": Num(), "photo": Opt(Str()), "preset": Str(64),
    "paintings": List(Obj({"path": Str(), "weight": Num(0, 1e6)}, required=("path",)), 0, MAX_PAINTINGS),
    "settings": Opt(Obj({})),  # checked field by field in _restore_settings, so bad values cost only the settings
    "advanced_open": Bool(), "masked": List(Str(), 0, MAX_PAINTINGS + 1),
})


def session_state(page: StylizePage) -> dict:
    """The inputs and choices on show, JSON-serialisable (a recipe without a result)."""
    state: dict[str, Any] = {
        "version": SESSION_VERSION,
        "photo": page.content.path(),
        "paintings": [{"path": r.path, "weight": float(r.weight.value())} for r in page.styles.rows],
        "preset": page.form.preset(),
        "advanced_open": bool(page.advanced_section.is_expanded()),
    }
    try:
        values = {**StyleSettings().to_dict(), **page.form.extras(), **page.form.control_values()}
    except (StyleError, TypeError, ValueError):
        values = None  # a half-typed scales list: the inputs are still worth keeping
    if values is not None:
        state["settings"] = json.loads(json.dumps({k: v for k, v in values.items() if k not in NOT_KEPT},
                                                  default=str))
    masked = [Path(r.path).name for r in page.styles.rows if r.mask is not None]
    if page.content.has_regions():
        masked.append("the photo (where each style goes)")
    if masked:
        state["masked"] = masked
    return state


def restore_session(page: StylizePage, state: Any) -> list[str]:
    """Put a ``session_state`` back; returns (and shows) one sentence per thing that could not be restored."""
    if page.runner.is_running():
        return []  # never under a running painting's feet
    try:
        state = validate(state, SESSION_SPEC, WHAT, StyleError)
    except StyleError as exc:
        text = str(exc).rstrip(".")
        return _said(page, [f"{text[:1].upper()}{text[1:]}; nothing of it was restored."])

    problems: list[str] = []
    page._show_error("")
    settings = state.get("settings")
    if settings is not None:
        problems += _restore_settings(page, settings, state.get("preset", ""))

    photo = state.get("photo")
    if photo:
        if not Path(photo).is_file():
            problems.append(f"The photo of the last session, {photo}, is no longer there: choose it again.")
        else:
            page.content.set_path(photo)
            if page.content.path() != photo:
                problems.append(f"The photo of the last session, {photo}, cannot be opened any more.")

    paintings = state.get("paintings") or []
    here = [p for p in paintings if Path(p["path"]).is_file()]
    gone = [p["path"] for p in paintings if p not in here]
    if gone:
        shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
        problems.append(f"The style paintings of the last session are no longer at {shown}: add them again"
                        f"{' (the others are restored)' if here else ''}.")
    if here:
        page.styles.set_items([p["path"] for p in here], [float(p.get("weight", 1.0)) for p in here])
        unread = [p["path"] for p in here if p["path"] not in page.styles.paths()]
        if unread:
            problems.append(f"The style paintings {', '.join(unread)} cannot be opened any more.")

    masked = state.get("masked") or []
    if masked:
        problems.append(f"The brush masks of the last session (on {', '.join(masked)}) were not kept: "
                        "paint them again if you need them.")
    if isinstance(state.get("advanced_open"), bool):
        page.advanced_section.set_expanded(state["advanced_open"])
    page._update_state()
    return _said(page, problems)


def _restore_settings(page: StylizePage, values: dict, preset: str) -> list[str]:
    """Every setting and the preset, or (when a value has the wrong type or is beyond the schema's bounds) none
    of them, said in one sentence. Settings that only a run would refuse (a working scale above the size) were the
    artist's own and come back as they were, with the reason said."""
    form = page.form
    try:
        checked = validate(values, STYLE_SETTINGS, f"{WHAT} (settings)", StyleError)
        fields = {k: v for k, v in checked.items() if k in StyleSettings.__dataclass_fields__ and k not in NOT_KEPT}
        settings = StyleSettings.from_dict({**StyleSettings().to_dict(), **form.extras(), **fields})
    except (StyleError, TypeError, ValueError) as exc:
        text = str(exc).rstrip(".")
        return [f"{text[:1].upper()}{text[1:]}; the settings of the last session were not restored."]
    problems = []
    try:
        check_settings(settings)
    except StyleError as exc:  # bounded by the schema, so safe to show; Start checks again before any work
        problems.append(f"The settings of the last session are restored as they were, but a run would refuse "
                        f"them: {str(exc).rstrip('.')}.")
    vgg19 = settings.vgg19_path
    if vgg19 and not Path(vgg19).is_file():
        problems.append(f"The VGG19 file of the last session, {vgg19}, is no longer there; the usual features "
                        "are used instead.")
        settings.vgg19_path = form.features.vgg19_path()
    form.set_settings(settings)
    if preset in LESSON_PRESETS and form.matches_preset(preset):
        form.show_preset(preset)
    else:
        form.sync_preset_combo()
    return problems


def _said(page: StylizePage, problems: list[str]) -> list[str]:
    if problems:
        page._show_error(" ".join(problems), "warning")
    return problems
