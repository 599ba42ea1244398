"""GAN Art Studio: train GANs on your own images, explore them, and stylize photos."""

__version__ = "0.1.0"
