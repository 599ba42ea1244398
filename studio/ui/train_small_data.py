"""Compatibility shim: moved to ``studio.ui.train.small_data`` (the coordinator removes this)."""
from studio.engine.train_rules import small_data_preset_for  # noqa: F401
from studio.engine.train_text import describe_changes, format_value  # noqa: F401
from studio.ui.train.small_data import SmallDataControls  # noqa: F401
