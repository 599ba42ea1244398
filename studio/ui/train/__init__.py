"""The Train room: pictures, settings, run controls, curves and samples (``page.TrainPage`` wires the parts)."""
