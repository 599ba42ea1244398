"""Where files dropped on the window should go, decided from the files alone (no widgets needed).

A folder of pictures → the Train page's dataset; pictures → Stylize (the first as the photo when there
is none yet, the rest as styles); a ``.safetensors`` generator → Explore; a recipe → the page that
made it; a training run's folder → continue it, or explore it. When the drop could mean more than one
thing (a folder and pictures together, pictures while the Train page is shown, a run folder) the window
asks with a small chooser; ``plan_drop`` lists the options in order of likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DropOption", "DropPlan", "IMAGE_SUFFIXES", "plan_drop"]

# = studio.engine.images.SUPPORTED_SUFFIXES, repeated so a drop during start-up needs no numpy/Pillow.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
GENERATOR_SUFFIXES = frozenset({".safetensors"})


@dataclass(frozen=True)
class DropOption:
    """One thing a drop can do: ``action`` is what the window runs with ``paths``."""

    action: str  # train-dataset | stylize | explore-generator | train-resume | explore-run | open-recipe
    label: str  # what the chooser says
    paths: tuple[str, ...]
    page: str  # the page it opens


@dataclass
class DropPlan:
    options: list[DropOption] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # files nothing in the studio opens

    @property
    def ambiguous(self) -> bool:
        return len(self.options) > 1

    @property
    def single(self) -> DropOption | None:
        return self.options[0] if len(self.options) == 1 else None


def _image_suffixes() -> frozenset[str]:
    try:  # the engine's list when it is already loaded (no import cost then)
        import sys

        images = sys.modules.get("studio.engine.images")
        if images is not None:
            return frozenset(s.lower() for s in images.SUPPORTED_SUFFIXES)
    except Exception:  # noqa: BLE001
        pass
    return IMAGE_SUFFIXES


def _is_run_dir(p: Path) -> bool:
    return (p / "config.json").is_file() and ((p / "checkpoints").is_dir() or (p / "metrics.jsonl").is_file())


def _recipe_page(p: Path) -> str | None:
    """"explore" for a walk recipe, "stylize" for an artwork recipe, None otherwise (reads small JSON)."""
    if p.suffix.lower() != ".json" or not p.is_file() or p.stat().st_size > 4_000_000:
        return None
    import json

    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("timeline"), dict):
        return "explore"
    kind = str(data.get("kind") or data.get("format") or "")
    if "style" in kind:
        return "stylize"
    return None


def _names(paths: list[str], limit: int = 2) -> str:
    names = [Path(p).name or p for p in paths]
    if len(names) <= limit:
        return " and ".join(f"“{n}”" for n in names)
    return f"“{names[0]}” and {len(names) - 1} more"


def plan_drop(paths: list[str], current_page: str = "") -> DropPlan:
    """What dropping ``paths`` can do, the likeliest first; several options mean "ask"."""
    suffixes = _image_suffixes()
    folders, runs, images, generators, recipes, ignored = [], [], [], [], [], []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            (runs if _is_run_dir(p) else folders).append(str(p))
        elif p.suffix.lower() in suffixes:
            images.append(str(p))
        elif p.suffix.lower() in GENERATOR_SUFFIXES:
            generators.append(str(p))
        elif _recipe_page(p) is not None:
            recipes.append(str(p))
        else:
            ignored.append(str(p))

    plan = DropPlan(ignored=ignored)
    opts = plan.options
    if generators:
        opts.append(DropOption("explore-generator", f"Explore the generator {_names(generators[:1])}",
                               (generators[0],), "explore"))
    for run in runs[:1]:
        opts.append(DropOption("train-resume", f"Continue training the run {_names([run])}", (run,), "train"))
        opts.append(DropOption("explore-run", f"Explore what the run {_names([run])} has learned", (run,),
                               "explore"))
    for recipe in recipes[:1]:
        page = _recipe_page(Path(recipe))
        what = "the animation recipe" if page == "explore" else "the artwork recipe"
        opts.append(DropOption("open-recipe", f"Open {what} {_names([recipe])}", (recipe,), page or "stylize"))
    if images:
        stylize = DropOption("stylize", f"Stylize: use {_names(images)} as photo / style", tuple(images), "stylize")
        train = DropOption("train-dataset", f"Train on {_names(folders + images)}", tuple(folders + images), "train")
        if folders or current_page == "train":
            opts += [train, stylize]  # a folder and pictures, or pictures on the Train page: ask
        else:
            opts.append(stylize)
    elif folders:
        opts.append(DropOption("train-dataset", f"Train on the pictures in {_names(folders)}", tuple(folders),
                               "train"))
    return plan
