"""Checking a dataset before training: find, validate and sample the pictures, in words.

``DatasetScanJob`` is an engine Job: the Train page runs it on its own JobRunner, the CLI or a test can run
it with ``run_job``. Its ``DatasetSummary`` says how many pictures are usable, which files were skipped and
why, the typical picture size, and a few small originals for previews; ``preprocess_previews`` shows those
as the trainer will see them. No training data is kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["BUILTIN_SOURCES", "DatasetScanJob", "DatasetSummary", "common_folder", "describe_paths", "preprocess_previews",
           "relative_name"]

BUILTIN_SOURCES = {
    "demo": "Demo shapes (built in)",
    "mnist": "MNIST digits (download)",
    "fashion-mnist": "Fashion-MNIST clothes (download)",
    "cifar10": "CIFAR-10 photos (download)",
}
PREVIEW_COUNT = 6
ORIGINAL_MAX_SIDE = 256  # originals are kept this small: enough for previews at any preset size


@dataclass
class DatasetSummary:
    """What a scan found. ``error`` set means: nothing usable, and this says why in plain words."""

    source: str  # TrainConfig.data: "demo", "mnist", ... or paths joined with os.pathsep
    title: str
    count: int = 0
    skipped: list = field(default_factory=list)  # images.SkippedFile
    originals: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    channels: int = 3
    error: str | None = None
    builtin: bool = False
    image_size: int = 0  # typical shorter side in px of the sampled pictures (0: unknown)


def common_folder(paths: list[str]) -> Path | None:
    folders = [Path(p) if Path(p).is_dir() else Path(p).parent for p in paths]
    if not folders:
        return None
    try:
        return Path(os.path.commonpath([str(f) for f in folders]))
    except ValueError:  # different drives
        return None


def relative_name(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return path.name


def describe_paths(paths: list[str]) -> str:
    if len(paths) == 1:
        p = Path(paths[0])
        return p.name or str(p)
    folders = sum(1 for p in paths if Path(p).is_dir())
    files = len(paths) - folders
    parts = ([f"{folders} folder{'s' if folders != 1 else ''}"] if folders else []) + \
            ([f"{files} file{'s' if files != 1 else ''}"] if files else [])
    return " and ".join(parts)


class DatasetScanJob:
    """Engine Job: find, validate and sample a dataset so the page can show it. No training data kept."""

    def __init__(self, source: str | list[str], preview_count: int = PREVIEW_COUNT) -> None:
        self.paths = [source] if isinstance(source, str) else list(source)
        self.builtin = isinstance(source, str) and source in BUILTIN_SOURCES
        self.preview_count = preview_count
        self.title = "Checking images"

    def run(self, ctx) -> DatasetSummary:
        from studio.engine.data import DatasetError

        try:
            if self.builtin:
                return self._run_builtin(ctx, self.paths[0])
            return self._run_paths(ctx)
        except DatasetError as exc:
            source = self.paths[0] if self.builtin else os.pathsep.join(self.paths)
            return DatasetSummary(source, self._title(), error=str(exc), builtin=self.builtin)

    def _title(self) -> str:
        return BUILTIN_SOURCES[self.paths[0]].split(" (")[0] if self.builtin else describe_paths(self.paths)

    def _run_builtin(self, ctx, key: str) -> DatasetSummary:
        from studio.engine.data import (
            LESSON_DATASETS,
            PrepSpec,
            download_text,
            make_demo_images,
            prepare_torchvision,
        )
        from studio.engine.gan.trainer import TrainConfig

        if key == "demo":
            ctx.progress(0, None, "Drawing demo shapes")
            originals = list(make_demo_images(n=self.preview_count, size=64, seed=0))
            return DatasetSummary("demo", self._title(), count=TrainConfig().demo_count,
                                  originals=originals, names=[f"demo {i + 1}" for i in range(len(originals))],
                                  channels=3, builtin=True, image_size=64)
        info = LESSON_DATASETS[key]
        ctx.progress(0, None, f"Opening {info.title} (downloads it the first time)")
        spec = PrepSpec(size=info.native_size, channels=info.channels)
        prepared = prepare_torchvision(key, spec, check=ctx.check,
                                       on_progress=lambda i, n: ctx.progress(i, n, f"Reading {info.title}"),
                                       on_download=lambda done, total, name: ctx.progress(
                                           done, total, download_text(name, done, total)))
        return DatasetSummary(key, info.title, count=len(prepared), originals=prepared.previews(self.preview_count),
                              names=[f"{info.title} {i + 1}" for i in range(self.preview_count)],
                              channels=info.channels, builtin=True, image_size=int(info.native_size))

    def _run_paths(self, ctx) -> DatasetSummary:
        from studio.engine.data import detect_channels
        from studio.engine.images import (
            SUPPORTED_SUFFIXES,
            ImageRejected,
            load_image,
            pil_to_uint8,
            scan_images,
            summarize_skipped,
        )

        source = os.pathsep.join(self.paths)
        where = describe_paths(self.paths)
        ctx.progress(0, None, "Looking for images")
        result = scan_images(self.paths, recursive=True, validate=True, check=ctx.check,
                             on_progress=lambda i, n: ctx.progress(i, n, f"Checking image {i:,} of {n:,}"))
        if not result.files:
            kinds = ", ".join(sorted(s.lstrip(".").upper() for s in SUPPORTED_SUFFIXES))
            if result.skipped:
                msg = f"No usable images in {where}: {summarize_skipped(result.skipped)}."
            else:
                msg = f"No images found in {where}. The studio reads {kinds} files."
            return DatasetSummary(source, where, skipped=result.skipped, error=msg)
        picks = np.linspace(0, len(result.files) - 1, min(self.preview_count, len(result.files)))
        originals, names, sides = [], [], []
        for i in sorted({int(round(p)) for p in picks}):
            ctx.check()
            path = result.files[i]
            try:
                with load_image(path, "RGB") as img:
                    sides.append(min(img.size))
                    img.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE))
                    originals.append(pil_to_uint8(img))
                names.append(path.name)
            except ImageRejected:
                continue  # changed on disk since the scan; the trainer will report it
        channels = detect_channels(result.files)
        return DatasetSummary(source, where, count=len(result.files), skipped=result.skipped,
                              originals=originals, names=names, channels=channels,
                              image_size=int(np.median(sides)) if sides else 0)


def preprocess_previews(originals: list[np.ndarray], size: int, channels: int, fit: str) -> list[np.ndarray]:
    """The originals as the trainer will see them (same engine function, same settings)."""
    from studio.engine.data import PrepSpec, preprocess
    from studio.engine.images import uint8_to_pil

    spec = PrepSpec(size=size, channels=channels, fit=fit)
    return [preprocess(uint8_to_pil(a), spec) for a in originals]

