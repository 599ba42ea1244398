"""Compatibility shim: the Explore page now lives in the package ``studio.ui.explore``."""

from studio.engine.latent.favourites import favourites_path, load_favourites  # noqa: F401
from studio.ui.explore.page import ExplorePage  # noqa: F401
