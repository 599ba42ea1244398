"""Compatibility shim: the Train page moved to ``studio.ui.train`` (the coordinator removes this)."""
from studio.engine.train_rules import checkpoint_step  # noqa: F401
from studio.ui.train.exports import CallJob  # noqa: F401
from studio.ui.train.layout import NARROW_BELOW_PX  # noqa: F401
from studio.ui.train.page import NO_DATA_HINT, TrainPage  # noqa: F401
