"""Generator/discriminator architectures and the presets artists pick from.

Discriminators return logits: the lesson's final Sigmoid is folded into the loss
(``binary_cross_entropy_with_logits``), which is the same function but numerically stable, and lets
the hinge loss use the same networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass(frozen=True)
class PresetInfo:
    name: str
    title: str
    description: str
    image_size: int
    channels: int | None = None  # None: follow the dataset
    default_width: int = 64
    width_adjustable: bool = False
    defaults: dict = field(default_factory=dict)  # TrainConfig overrides


PRESETS: dict[str, PresetInfo] = {
    p.name: p
    for p in [
        PresetInfo(
            "lesson-mlp", "Lesson: fully connected GAN (28×28)",
            "The lesson's first GAN: four dense layers each way. Learns digits-like simple shapes; "
            "fast, small, and a good way to see the two-phase training.",
            28, default_width=0,
            defaults={"batch_size": 256, "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "latent_dim": 100},
        ),
        PresetInfo(
            "lesson-dcgan", "Lesson: DCGAN (28×28)",
            "The lesson's convolutional GAN at 28×28. Watch the discriminator win — the lesson's "
            "balance problem — and try the remedies.",
            28, default_width=0,
            defaults={"batch_size": 64, "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "latent_dim": 100},
        ),
        PresetInfo(
            "dcgan32", "DCGAN 32×32", "Standard DCGAN for small colour pictures. Quick on a laptop.",
            32, default_width=64, width_adjustable=True, defaults={"batch_size": 64},
        ),
        PresetInfo(
            "dcgan64", "DCGAN 64×64",
            "The classic DCGAN (Radford et al.) at 64×64. A good default for your own images.",
            64, default_width=64, width_adjustable=True, defaults={"batch_size": 64},
        ),
        PresetInfo(
            "dcgan128", "DCGAN 128×128",
            "DCGAN with one more layer for 128×128. Slow on a CPU; best on a GPU.",
            128, default_width=64, width_adjustable=True, defaults={"batch_size": 32},
        ),
    ]
}


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class LessonMLPGenerator(nn.Module):
    """Linear 100→256→512→1024→H·W·C; hidden layers Linear + BatchNorm1d(momentum 0.2) + LeakyReLU(0.2)."""

    def __init__(self, latent_dim: int = 100, channels: int = 1, size: int = 28) -> None:
        super().__init__()
        self.shape = (channels, size, size)
        layers: list[nn.Module] = []
        d = latent_dim
        for h in (256, 512, 1024):
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h, momentum=0.2), nn.LeakyReLU(0.2)]
            d = h
        layers += [nn.Linear(d, channels * size * size), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.flatten(1)).view(z.shape[0], *self.shape)


class LessonMLPDiscriminator(nn.Module):
    """Linear H·W·C→512→256→1 with LeakyReLU(0.2); returns a logit."""

    def __init__(self, channels: int = 1, size: int = 28) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(channels * size * size, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(-1)


class LessonDCGANGenerator(nn.Module):
    """ConvTranspose 100→256→128→64→C, kernel 3 stride 2, no bias; 1→3→7→15→28."""

    def __init__(self, latent_dim: int = 100, channels: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 256, 3, 2, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.ConvTranspose2d(256, 128, 3, 2, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 3, 2, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.ConvTranspose2d(64, channels, 3, 2, padding=2, output_padding=1, bias=False), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class LessonDCGANDiscriminator(nn.Module):
    """Conv C→64→128→256→1, kernel 4 stride 2 padding 1 (28→14→7→3→1), BatchNorm except the first."""

    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
            nn.Conv2d(128, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
            nn.Conv2d(256, 1, 4, 2, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def _dcgan_stages(size: int) -> int:
    stages = int(round(math.log2(size / 4)))
    if 4 * 2**stages != size or stages < 1:
        raise ValueError(f"DCGAN image size must be 4·2^k (8, 16, 32, 64, 128 …), not {size}")
    return stages


class DCGANGenerator(nn.Module):
    """Radford et al. DCGAN: latent → 4×4 → … → size, doubling resolution and halving width each stage."""

    def __init__(self, latent_dim: int = 100, channels: int = 3, size: int = 64, width: int = 64) -> None:
        super().__init__()
        stages = _dcgan_stages(size)
        ch = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, ch, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU(True)]
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Mirror of the generator: strided convs with LeakyReLU(0.2), BatchNorm except the first layer."""

    def __init__(self, channels: int = 3, size: int = 64, width: int = 64) -> None:
        super().__init__()
        stages = _dcgan_stages(size)
        ch = width
        layers: list[nn.Module] = [nn.Conv2d(channels, ch, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for _ in range(stages - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def build_gan(preset: str, channels: int, latent_dim: int = 100, width: int = 0,
              image_size: int | None = None) -> tuple[nn.Module, nn.Module]:
    """Build (G, D) for a preset. ``width`` 0 means the preset's default."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    info = PRESETS[preset]
    size = image_size or info.image_size
    if preset == "lesson-mlp":
        g: nn.Module = LessonMLPGenerator(latent_dim, channels, size)
        d: nn.Module = LessonMLPDiscriminator(channels, size)
    elif preset == "lesson-dcgan":
        if size != 28:
            raise ValueError("The lesson DCGAN is built for 28×28 images")
        g = LessonDCGANGenerator(latent_dim, channels)
        d = LessonDCGANDiscriminator(channels)
        init_dcgan_weights(g)
        init_dcgan_weights(d)
    else:
        w = width or info.default_width
        g = DCGANGenerator(latent_dim, channels, size, w)
        d = DCGANDiscriminator(channels, size, w)
        init_dcgan_weights(g)
        init_dcgan_weights(d)
    return g, d


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
