"""A judge for the lfw_subset benchmark: is a sample a face, a background patch, or neither?

scikit-image's ``lfw_subset`` holds 100 faces (rows 0–99) and 100 non-face background patches (rows 100–199), so a
generator that learns the 200 pictures faithfully makes about half faces. Counting "faces in most cells" by eye
therefore misleads; this judge counts them. It reads the frozen offline VGG16 (conv4_3, pooled to 2×2) and fits a
linear head on three classes: face, patch, and "not a clean picture" — a face and a patch blended or pieced together
(halves), a picture blurred to a smudge or under heavy noise — so that mush has somewhere to go. A sample counts
as a face only when the judge is confident (softmax > 0.9), as in ``bench_eyes.score``.

Held-out check: the head is first fitted on 80 faces and 80 patches (shifted and mirrored copies) and tested on the
other 20 + 20 and on fresh degraded pictures; the judge the benchmark uses is then fitted on all 200.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

FACE, PATCH, NEITHER = 0, 1, 2  # the classes


def degraded(faces: torch.Tensor, patches: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """``n`` pictures a person would not call one clean face or patch (N×1×H×W in [-1, 1]): a face and a patch
    blended or pieced together (left half of one, right half of the other), or a picture blurred to a smudge or under
    heavy noise. (Two faces blended stay a face to a person: the faces are aligned.)"""
    from bench_eyes import spoiled

    g = torch.Generator().manual_seed(seed)
    scale = faces.shape[-1] / 32
    a = faces[torch.randint(len(faces), (n,), generator=g)]
    b = patches[torch.randint(len(patches), (n,), generator=g)]
    swap = (torch.rand(n, generator=g) < 0.5).view(-1, 1, 1, 1)
    a, b = torch.where(swap, b, a), torch.where(swap, a, b)
    return spoiled(a, b, g, blur=(2.0 * scale, 3.5 * scale), noise=(0.4, 0.7))


def _jitter(x: torch.Tensor, seed: int) -> torch.Tensor:
    """The pictures, their mirror images, and four copies shifted by 1/32 of the side (up, down, left, right; edge
    pixels repeated), each mirrored at random: 6 × N pictures."""
    g = torch.Generator().manual_seed(seed)
    side = x.shape[-1]
    m = max(1, side // 32)
    padded = F.pad(x, (m, m, m, m), mode="replicate")
    out = [x, x.flip(-1)]
    for dy, dx in ((0, m), (2 * m, m), (m, 0), (m, 2 * m)):
        y = padded[..., dy:dy + side, dx:dx + side]
        flip = (torch.rand(len(x), generator=g) < 0.5).view(-1, 1, 1, 1)
        out.append(torch.where(flip, y.flip(-1), y))
    return torch.cat(out)


class FaceJudge:
    """Frozen VGG16 features and a linear head; ``probs(x)`` for N×1×H×W pictures in [-1, 1]."""

    def __init__(self) -> None:
        from studio.engine.style.backbones import load_backbone

        bb = load_backbone("vgg16")
        self.net = bb.net[: bb.index("conv4_3") + 1]
        self.mean = torch.tensor(bb.mean).view(1, 3, 1, 1)
        self.std = torch.tensor(bb.std).view(1, 3, 1, 1)
        self.head: torch.nn.Linear | None = None
        self._scale = torch.tensor(1.0)  # features are divided by their mean spread (set by fit)

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for i in range(0, len(x), 200):
            t = x[i:i + 200].float().clamp(-1, 1).add(1).div(2).expand(-1, 3, -1, -1)
            t = F.interpolate(t, size=64, mode="bilinear", align_corners=False, antialias=True)
            f = self.net((t - self.mean) / self.std)
            out.append(F.adaptive_avg_pool2d(f, 2).flatten(1))
        return torch.cat(out)

    def fit(self, faces: torch.Tensor, patches: torch.Tensor, seed: int = 0) -> FaceJudge:
        x = torch.cat([_jitter(faces, seed), _jitter(patches, seed + 1), degraded(faces, patches, 6 * len(faces), seed + 2)])
        y = torch.cat([torch.full((6 * len(faces),), FACE), torch.full((6 * len(patches),), PATCH),
                       torch.full((6 * len(faces),), NEITHER)])
        f = self.features(x)
        self._scale = f.std(0, keepdim=True).mean().clamp(min=1e-6)
        torch.manual_seed(seed)
        head = torch.nn.Linear(f.shape[1], 3)
        opt = torch.optim.Adam(head.parameters(), 1e-3, weight_decay=1e-4)
        for _ in range(1000):
            loss = F.cross_entropy(head(f / self._scale), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.head = head.eval()
        return self

    @torch.no_grad()
    def probs(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.features(x) / self._scale), 1)

    def score(self, x: torch.Tensor) -> dict:
        """Shares of confident faces, confident patches, and the rest (softmax ≤ 0.9 or "neither")."""
        conf, cls = self.probs(x).max(1)
        sure = conf > 0.9
        face = (sure & (cls == FACE)).float().mean().item()
        patch = (sure & (cls == PATCH)).float().mean().item()
        return {"faces": face, "patches": patch, "neither": 1 - face - patch}


def face_judge(side: int, log=print) -> FaceJudge:
    """The judge for ``side``-px samples, after the held-out check (logged)."""
    from gan_bench_common import lfw_faces

    from studio.engine.images import uint8_to_tensor

    x = uint8_to_tensor(lfw_faces(side=side))
    faces, patches = x[:100], x[100:]
    check = FaceJudge().fit(faces[:80], patches[:80])
    held = check.probs(torch.cat([faces[80:], patches[80:]])).argmax(1)
    acc = (held == torch.cat([torch.full((20,), FACE), torch.full((20,), PATCH)])).float().mean().item()
    rej = (check.probs(degraded(faces[80:], patches[80:], 200, seed=99)).argmax(1) == NEITHER).float().mean().item()
    judge = FaceJudge().fit(faces, patches)
    log(f"face judge ({side} px): held-out faces and patches told apart {acc:.3f}; held-out degraded pictures "
        f"rejected {rej:.3f}; the 200 training pictures: {fmt(judge.score(x))}")
    return judge


def fmt(r: dict) -> str:
    return f"faces {r['faces']:.3f}  patches {r['patches']:.3f}  neither {r['neither']:.3f}"
