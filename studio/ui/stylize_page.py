"""Compatibility shim: the Stylize page lives in the package ``studio.ui.stylize`` (removed after the merge)."""

from studio.ui.stylize.page import StylizePage  # noqa: F401
from studio.ui.stylize.settings_form import STYLE_LOG_RANGE, TV_LOG_RANGE, slider_to_weight, weight_to_slider  # noqa: F401
from studio.ui.stylize.texts import PRESET_INFO  # noqa: F401
from studio.ui.widgets.features_panel import backbone_in_use  # noqa: F401

__all__ = ["PRESET_INFO", "StylizePage", "backbone_in_use", "slider_to_weight", "weight_to_slider"]
