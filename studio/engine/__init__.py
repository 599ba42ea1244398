"""The studio's brain: pure torch + Pillow + numpy. Nothing here imports Qt."""
