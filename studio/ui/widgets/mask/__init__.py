"""The brush mask editor, split by job. Import the widget from ``studio.ui.widgets.mask_editor``.

``brush``, ``ops``, ``select``, ``history`` and ``png_format`` are plain numpy/Pillow (no Qt), so the
mask maths and the PNG format can be tested without a window and later move to the engine as they are;
``editor`` and ``toolbar`` are the Qt face. This file imports nothing on purpose: importing the Qt-free
modules must not pull in Qt.
"""
