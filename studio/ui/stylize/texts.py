"""The Stylize page's words: preset titles and lessons, colour choices, mask-window hints, loading lines.

Kept apart from the widgets so a wording change is one edit and the room files stay about wiring.
"""

from __future__ import annotations

COLOR_LABELS = {"none": "Use the painting's colours", "keep": "Keep the photo's colours",
                "match": "Recolour the painting to the photo"}
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

PRESET_INFO: dict[str, tuple[str, str]] = {
    "lesson-content-only": (
        "Lesson 1 · Photo only, from noise",
        "Starts from random noise and only asks that the network's conv4_2 layer (block4_conv2) sees what it "
        "sees in the photo — no painting at all. Shows what a deep layer remembers: the layout and shapes come "
        "back, exact colours and fine texture do not. Needs only a photo."),
    "lesson-content-style": (
        "Lesson 2 · Photo + style, from noise",
        "Starts from noise and matches the photo (conv4_2) and the painting's textures (Gram matrices of "
        "conv1_1 … conv4_1) at once. With no smoothness term the result is busy and grainy — the point the "
        "lesson makes before adding variation."),
    "lesson-content-style-variation": (
        "Lesson 3 · Photo + 150·style + 30·variation",
        "The lesson's final recipe: starts from the photo plus noise and weighs content 1, style 150 (15000 "
        "on this studio's scale) and variation 30. The variation (smoothness) term removes Lesson 2's grain."),
    "lesson-layer-block3_conv2": (
        "Layer view · block3_conv2 (conv3_2)",
        "Rebuilds the photo from noise through one early layer only (L-BFGS). Early layers keep almost "
        "everything: edges, fine texture and even colours come back nearly as they were. Needs only a photo."),
    "lesson-layer-block4_conv2": (
        "Layer view · block4_conv2 (conv4_2)",
        "Rebuilds the photo from noise through one middle-deep layer. Shapes and layout survive while fine "
        "texture and exact colours start to dissolve — which is why style transfer uses this layer for the "
        "photo. Needs only a photo."),
    "lesson-layer-block5_conv1": (
        "Layer view · block5_conv1 (conv5_1)",
        "Rebuilds the photo from noise through the deepest layer. Only a rough arrangement of objects "
        "remains; the picture turns into abstract forms. Needs only a photo."),
}


def preset_title(name: str) -> str:
    return PRESET_INFO.get(name, (name.replace("-", " ").capitalize(), ""))[0]


def preset_description(name: str) -> str:
    return PRESET_INFO.get(name, ("", "A lesson preset."))[1]
