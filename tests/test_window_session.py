"""The working session (what pages had open) is written on close and offered back on the next start."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget

from studio.ui.window.session import SESSION_FILE, SessionStore
from studio.ui.window.window import MainWindow


@pytest.fixture(autouse=True)
def fresh_settings():
    QSettings().clear()
    SessionStore().clear()
    yield
    QSettings().clear()
    SessionStore().clear()


class FakeStylizePage(QWidget):
    """Implements the page side of the protocol: a photo, styles and a strength."""

    def __init__(self, state: dict | None = None) -> None:
        super().__init__()
        self.state = dict(state or {})
        self.restored: list[dict] = []

    def session_state(self) -> dict:
        return dict(self.state)

    def restore_session(self, state: dict) -> None:
        self.restored.append(state)
        self.state = dict(state)


def _window(qtbot, page: QWidget) -> MainWindow:
    w = MainWindow(load_engine=False)
    qtbot.addWidget(w)
    w._stylize_page = page
    w._slots["stylize"].set_content(page)
    w.show()
    qtbot.waitExposed(w)
    return w


STATE = {"photo": "/pictures/harbour.jpg", "styles": ["/pictures/starry.png"], "strength": 0.7}


def test_closing_writes_the_session_and_the_next_start_restores_it(qtbot):
    first = _window(qtbot, FakeStylizePage(STATE))
    assert first.close() is True
    path = SessionStore().path
    assert path.name == SESSION_FILE and path.is_file()
    assert json.loads(path.read_text())["pages"]["stylize"] == STATE

    page = FakeStylizePage()
    second = _window(qtbot, page)
    asked = []
    second.ask_restore_session = lambda titles: asked.append(titles) or True
    assert second.offer_restore_session() == ["stylize"]
    assert asked == [["Stylize"]]
    assert page.restored == [STATE]
    assert "Restored your last session" in second.statusBar().currentMessage()


def test_start_fresh_restores_nothing_and_forgets_the_session(qtbot):
    SessionStore().save({"stylize": STATE})
    page = FakeStylizePage()
    window = _window(qtbot, page)
    window.ask_restore_session = lambda titles: False
    assert window.offer_restore_session() == []
    assert page.restored == []
    assert SessionStore().load() is None


def test_a_damaged_or_foreign_session_file_is_not_offered(qtbot):
    store = SessionStore()
    store.path.parent.mkdir(parents=True, exist_ok=True)
    page = FakeStylizePage()
    window = _window(qtbot, page)
    window.ask_restore_session = lambda titles: pytest.fail("nothing usable should be offered")
    for text in ("{not json", json.dumps({"version": 99, "pages": {"stylize": STATE}}),
                 json.dumps({"version": 1, "pages": ["stylize"]})):
        store.path.write_text(text)
        assert window.offer_restore_session() == []
    assert page.restored == []


def test_the_session_is_saved_while_working_only_when_it_changed(qtbot):
    page = FakeStylizePage(STATE)
    window = _window(qtbot, page)
    assert window.session.timer.isActive()  # periodic saves run
    assert window.session.save() is True
    assert window.session.save() is False  # unchanged: no write
    page.state["strength"] = 0.2
    assert window.session.save() is True
    assert SessionStore().load() == {"stylize": dict(STATE, strength=0.2)}
