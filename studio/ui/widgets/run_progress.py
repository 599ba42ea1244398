"""Compatibility shim: the run's time-left estimate and its words live in ``studio.engine.style.eta``."""

from studio.engine.style.eta import EtaEstimator, format_duration, plan_costs, progress_text  # noqa: F401
