"""The Stylize page as a room of parts, one job per module: ``page`` wires them; ``settings_form``, ``result_view``,
``mask_windows``, ``saving``, ``recipes``, ``clipboard``, ``texts`` and ``layout`` each do one thing.
Import the page from ``studio.ui.stylize.page``; this file imports nothing so its parts load on their own."""
