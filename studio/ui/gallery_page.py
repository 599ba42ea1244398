"""Compatibility shim: the Gallery moved to ``studio.ui.gallery`` (the coordinator removes this)."""
from studio.ui.gallery.actions import GalleryActions  # noqa: F401
from studio.ui.gallery.desktop import move_to_trash, reveal_in_file_manager  # noqa: F401
from studio.ui.gallery.dialogs import RenameDialog  # noqa: F401
from studio.ui.gallery.model import GalleryModel, ItemRole, StateRole  # noqa: F401
from studio.ui.gallery.page import GalleryPage  # noqa: F401
from studio.ui.gallery.thumbnails import ThumbnailLoader  # noqa: F401
