"""Files dropped anywhere on the window (or opened from a menu) go to the page that can use them.

``plan_drop`` (no widgets) decides what a set of paths can mean; this room asks when it is ambiguous
(``drop_chooser``, replaceable by tests), runs the chosen option on its page (later, while the engine
loads) and notes every opened path for File ▸ Open recent.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCursor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMenu

from studio.ui.drop_routing import DropOption, plan_drop
from studio.ui.widgets.drop_area import local_paths

__all__ = ["DropRoom"]


class DropRoom:
    """Drag and drop, and the one place where an opened path is sent to its page."""

    # -------------------------------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.route_paths(paths))  # let the drag end before any chooser opens

    def route_paths(self, paths: list[str]) -> str | None:
        """Send dropped/opened files where they belong (asking when it is not clear). Returns the action."""
        plan = plan_drop(paths, self.current_page())
        if not plan.options:
            names = ", ".join(Path(p).name for p in plan.ignored[:3])
            self.show_status(f"Nothing here the studio can open ({names}). It takes folders of pictures, "
                             "pictures, generators (.safetensors) and recipes.")
            return None
        option = plan.single or self.drop_chooser(plan.options)
        if option is None:
            return None
        self.run_drop_option(option)
        if plan.ignored:
            self.show_status(f"Left out what the studio cannot open: {', '.join(Path(p).name for p in plan.ignored[:3])}")
        return option.action

    def choose_drop_option(self, options: list[DropOption]) -> DropOption | None:
        """The small chooser for drops that could mean several things: a menu at the mouse."""
        menu = QMenu(self)
        menu.setObjectName("dropChooser")
        menu.setToolTipsVisible(True)
        head = menu.addAction("What should the studio do with this?")
        head.setEnabled(False)
        chosen = {}
        for option in options:
            action = menu.addAction(option.label)
            action.setToolTip("\n".join(option.paths[:5]))
            chosen[action] = option
        menu.addSeparator()
        menu.addAction("Cancel")
        picked = menu.exec(QCursor.pos())
        return chosen.get(picked)

    def run_drop_option(self, option: DropOption) -> bool:
        """Do what a drop option says, on its page (later, if the engine is still loading)."""
        page = {"train": self.train_page(), "explore": self.explore_page(), "stylize": self.stylize_page()}.get(
            option.page)
        self.show_page(option.page)
        if page is None:
            if self.engine_info is not None:
                self.show_status(f"The {option.page.title()} page is not available: {option.page} cannot open this.")
                return False
            self._pending_routes.append(option)
            self.show_status(f"Opening {Path(option.paths[0]).name} once the engine has loaded…")
            return False
        paths = list(option.paths)
        name = Path(paths[0]).name or paths[0]
        if option.action == "train-dataset":
            if page.is_training():
                self.show_status("Training is running: stop it before choosing other pictures.")
                return False
            page.set_dataset(paths)
            for path in paths if len(paths) <= 3 else [p for p in paths if Path(p).is_dir()][:3]:
                self._remember(path)  # a few pictures or folders; a heap of single pictures would flood the list
            self.show_status(f"Checking the pictures in {name}…" if len(paths) == 1 else
                             f"Checking {len(paths)} dropped items for the dataset…")
        elif option.action == "stylize":
            return self._stylize_drop(page, paths)
        elif option.action in ("explore-generator", "explore-run"):
            page.open_generator(paths[0])
            self._remember(paths[0])
            self.show_status(f"Opening the generator {name}…")
        elif option.action == "train-resume":
            ok = bool(page.resume_run(paths[0]))
            if ok:
                self._remember(paths[0])
            if ok:
                self.show_status(f"Ready to continue {name}: press Continue.")
            elif getattr(getattr(page, "follower", None), "is_following", lambda: False)():
                self.show_status(f"Following {name} read-only: it is training elsewhere.")
            else:
                self.show_status(f"{name} cannot be continued.")
            return ok
        elif option.action == "open-recipe":
            ok = bool(page.open_recipe(paths[0]))
            if ok:
                self._remember(paths[0])
            self.show_status(f"Opened the recipe {name}." if ok else f"The recipe {name} could not be opened.")
            return ok
        return True

    def _stylize_drop(self, page, paths: list[str]) -> bool:
        runner = getattr(page, "runner", None)
        if runner is not None and runner.is_running():
            self.show_status("Stylize is painting: drop the pictures again when it has finished.")
            return False
        parts = []
        rest = list(paths)
        if page.content.path() is None:
            first = rest.pop(0)
            page.content.set_path(first)
            if page.content.path() == first:
                parts.append(f"{Path(first).name} as the photo")
                self._remember(first)
        if rest:
            before = set(page.styles.paths())
            page.styles.add_paths(rest)
            added = [p for p in page.styles.paths() if p not in before]
            for path in added[:3]:
                self._remember(path)
            if added:
                word = "a style" if len(added) == 1 else "styles"
                parts.append(f"{', '.join(Path(p).name for p in added)} as {word}")
        self.show_status(f"Stylize: {' and '.join(parts)}." if parts else "These pictures could not be used.")
        return bool(parts)
