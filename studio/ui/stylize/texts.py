"""The Stylize page's words: preset titles and lessons, colour choices, mask-window hints, loading lines.

Kept apart from the widgets so a wording change is one edit and the room files stay about wiring.
"""

from __future__ import annotations

from studio.engine.style.settings import LESSON_PRESET_INFO, preset_description, preset_title  # noqa: F401

COLOR_LABELS = {"adopt": "Use the painting's colours", "none": "Let the colours drift from the photo's",
                "keep": "Keep the photo's colours", "match": "Recolour the painting to the photo"}
STYLE_MASK_HINT = ("Paint over the parts of this painting whose texture and colours you want — the sky, the "
                   "brushwork in one corner. Only painted parts are copied; soft edges count partly. "
                   "Wheel: zoom · right-drag or Space+drag: move.")
REGIONS_HINT = ("Choose a painting with the numbered buttons, then paint where its style goes on the photo. "
                "Soft edges blend two styles; parts you leave unpainted take a blend of all the paintings. "
                "Wheel: zoom · right-drag or Space+drag: move.")
RUNNING_NOTE = "A painting is being made now with the masks it started with; Done keeps this paint for the next run."
PRESET_TIP = ("Ready-made settings, among them the lesson's demonstrations. Change any setting afterwards and this "
              "says Custom.")
LOADING_TEXT = {"loading images": "Loading the pictures…", "loading features": "Loading the network…"}

# The lesson presets' words are the engine's (one copy, shared with the CLI).
PRESET_INFO = LESSON_PRESET_INFO
