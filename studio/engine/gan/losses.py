"""GAN losses on discriminator logits.

"bce" is the lesson's loss (real = 1, fake = 0 for D; fake = 1 for G, the non-saturating form);
"hinge" is the margin loss many modern GANs use. Both take logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.engine.gan.config import LOSSES  # noqa: F401 - the names live with the settings (torch-free)


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator loss, averaged over the real and the fake half as in the lesson."""
    if kind == "bce":
        real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return 0.5 * (real + fake)
    if kind == "hinge":
        return 0.5 * (F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean())
    raise ValueError(f"unknown loss {kind!r}")


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss through a frozen D: make D say "real" about fakes."""
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    if kind == "hinge":
        return -fake_logits.mean()
    raise ValueError(f"unknown loss {kind!r}")
