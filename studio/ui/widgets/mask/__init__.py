"""The brush mask editor, split by job. Import the widget from ``studio.ui.widgets.mask_editor``.

``brush``, ``ops``, ``select`` and ``history`` are plain numpy (no Qt), so the mask maths can be tested without
a window; the PNG format lives in the engine (``studio.engine.style.mask_png``) so the CLI reads the same files;
``editor`` and ``toolbar`` are the Qt face. This file imports nothing on purpose: importing the Qt-free modules
must not pull in Qt.
"""
