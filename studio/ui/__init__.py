"""The studio's face: Qt only. Engine work reaches it through ui.job_runner."""
