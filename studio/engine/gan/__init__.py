"""GAN models, losses, trainer and checkpoints."""
