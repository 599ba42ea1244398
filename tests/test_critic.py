"""The critic's pick (gan/critic.py): a run's own discriminator chooses among candidate samples, each kind of picture
at its share, near-copies of the training pictures passed over."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from studio.engine.data import make_mode_images
from studio.engine.gan.checkpoints import CheckpointError, latest_checkpoint, load_checkpoint
from studio.engine.gan.critic import PICK_FROM, Critic, choose, pick_latents
from studio.engine.gan.trainer import GanTrainingJob
from studio.engine.images import uint8_to_tensor
from studio.engine.jobs import run_job
from studio.engine.latent.favourites import entry_vector, seed_entry
from studio.engine.latent.jobs import open_generator
from studio.engine.pretrained import verify

needs_vgg = pytest.mark.skipif(not verify(), reason="offline VGG16 features not fetched (make models)")


def test_choose_keeps_each_kind_at_its_share_and_puts_near_copies_last():
    scores = torch.tensor([9.0, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    kinds = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])  # 6 of kind 0, 4 of kind 1
    assert choose(scores, 5).chosen == [0, 1, 2, 3, 4]  # best first
    # of 5, kind 0 may have ceil(3.0) = 3 and kind 1 ceil(2.0) = 2: kind 1's best come in though they score lower
    assert choose(scores, 5, kinds).chosen == [0, 1, 2, 6, 7]
    copies = torch.zeros(10, dtype=torch.bool)
    copies[[0, 6]] = True
    p = choose(scores, 5, kinds, copies)
    assert p.chosen == [1, 2, 3, 7, 8] and p.copies_passed == 2
    # one near-copy allowed (a folder whose pictures are near-copies of each other that often): the best one comes in
    p = choose(scores, 5, kinds, copies, copies_allowed=1)
    assert p.chosen == [0, 1, 2, 7, 8] and p.copies_passed == 1
    # too few others: near-copies fill the last places rather than leaving tiles empty
    p = choose(scores, 10, None, copies)
    assert p.chosen[:8] == [1, 2, 3, 4, 5, 7, 8, 9] and p.chosen[8:] == [0, 6] and p.copies_passed == 0
    assert choose(scores, 50).chosen == list(range(10))  # never more than the candidates


def test_a_run_without_a_checkpoint_has_no_critic(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no intact checkpoint"):
        Critic.from_run(tmp_path / "empty")


@pytest.fixture(scope="module")
def shape_run(tmp_path_factory):
    """(run directory, its 48 training pictures, its config): 40 real steps on the shape set, with kinds, and a
    quality check at the end that measures (and caches) the training pictures."""
    from test_small_data import tiny

    tmp = tmp_path_factory.mktemp("critic")
    folder = tmp / "shapes"
    folder.mkdir()
    pictures, _ = make_mode_images(48, 32, seed=3)
    for i, p in enumerate(pictures):
        Image.fromarray(p).save(folder / f"{i:03d}.png")
    cfg = tiny(data=str(folder), steps=40, width=8, kinds=3, metrics_every=40, lr_decay=0.4, r1_gamma=0.05)
    out = run_job(GanTrainingJob(cfg, tmp / "run"))
    assert out.error is None, out.details
    return tmp / "run", pictures, cfg


@needs_vgg
def test_a_runs_critic_rates_its_pictures_above_samples_and_passes_over_copies(shape_run):
    run, pictures, cfg = shape_run
    critic = Critic.from_run(run)
    assert critic.conditional and critic.reference is not None  # kinds, and the quality check's training features
    kinds = load_checkpoint(latest_checkpoint(run / "checkpoints")).extra("kinds")
    real = uint8_to_tensor(pictures)
    G, _info = open_generator(run)
    z = torch.randn(48, cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    choice, images = pick_latents(G, critic, z, 16)
    assert images.shape == (48, 32, 32, 3) and len(choice.chosen) == len(set(choice.chosen)) == 16
    fake_scores = choice.scores
    # the trained D (not a fresh one) rates the training pictures above the generator's early samples
    assert critic.scores(real, kinds).mean() > fake_scores.mean() + 0.1
    chosen = torch.zeros(48, dtype=torch.bool)
    chosen[choice.chosen] = True
    assert fake_scores[chosen].mean() > fake_scores[~chosen].mean()
    # the run keeps its kinds' looks: the training pictures are nearer them than early samples, and the pick takes
    # the candidates nearer their kind's look
    assert critic.looks is not None and critic.looks.shape[0] == 3
    assert critic.far_from_looks(real, kinds).mean() < choice.far.mean()
    assert choice.far[chosen].mean() < choice.far[~chosen].mean()
    # each kind at its share of the candidates (rounded up)
    drawn = G.kinds(z)
    for k in range(3):
        assert int((drawn[chosen] == k).sum()) <= int(np.ceil(int((drawn == k).sum()) * 16 / 48))
    # the training pictures themselves are near-copies; the early samples are not
    assert bool(critic.near_copies(real).all())
    assert not bool(critic.near_copies(uint8_to_tensor(images)).all())


@needs_vgg
def test_pick_from_the_terminal_prints_the_critics_seeds_and_saves_a_sheet(shape_run, tmp_path, capsys):
    from studio.cli import main

    run, _pictures, _cfg = shape_run
    sheet = tmp_path / "picks.png"
    assert main(["pick", "--generator", str(run), "--count", "6", "--seed", "4", "--out", str(sheet)]) == 0
    lines = capsys.readouterr().out.splitlines()
    seeds = [int(s) for s in lines[1].split(",")]
    assert lines[2].startswith(f"6 of {6 * PICK_FROM} samples, chosen by the run's discriminator and the looks of "
                               "your kinds of pictures")
    # the same choice the engine makes among the same candidates (what the Explore page's button shows)
    import random

    draw = random.Random(4)
    candidates = draw.sample(range(100_000), 6 * PICK_FROM)
    G, info = open_generator(run)
    z = torch.stack([entry_vector(seed_entry(s), info.latent_dim) for s in candidates])
    choice, images = pick_latents(G, Critic.from_run(run), z, 6)
    assert seeds == [candidates[i] for i in choice.chosen]
    with Image.open(sheet) as im:  # 6 cells of 32 px, 3 columns, 2 px padding
        assert im.size == (3 * 32 + 4 * 2, 2 * 32 + 3 * 2)
        assert np.array_equal(np.asarray(im)[2:34, 2:34], images[choice.chosen[0]])
    assert any(f"--seeds {','.join(str(s) for s in seeds[:4])}" in line for line in lines)


@pytest.mark.parametrize("flags, words", [(["--count", "0"], "--count must be 1-256"),
                                          (["--from", "99"], "--from must be 1-64"),
                                          (["--count", "256", "--from", "64"], "at most 8,192 candidates"),
                                          (["--truncation", "0"], "--truncation must be above 0"),
                                          (["--out", "picks.gif"], "contact sheet")])
def test_pick_flags_out_of_range_are_refused_before_anything_loads(tmp_path, capsys, flags, words):
    from studio.cli import main

    assert main(["pick", "--generator", str(tmp_path), *flags]) != 0
    assert words in capsys.readouterr().err


def test_the_pick_commands_default_is_the_explore_pages():
    from studio.cli_pick import DEFAULT_FROM

    assert DEFAULT_FROM == PICK_FROM


def test_pick_needs_a_run_or_a_generator_exported_with_its_critic(tmp_path, capsys):
    from studio.cli import main

    gen = tmp_path / "g.safetensors"
    gen.write_bytes(b"x")
    assert main(["pick", "--generator", str(gen)]) != 0
    assert "neither a run directory nor a generator exported with its critic (g.critic)" in capsys.readouterr().err


@needs_vgg
def test_an_exported_generator_carries_its_critic_and_picks_as_its_run_does(shape_run, tmp_path, capsys):
    from studio.cli import main
    from studio.engine.gan.checkpoints import export_generator
    from studio.engine.gan.critic import critic_file

    run, _pictures, _cfg = shape_run
    out = export_generator(run, tmp_path / "shapes.safetensors")
    assert critic_file(out).is_file() and json.loads(out.with_suffix(".json").read_text())["critic"]["file"] == \
        "shapes.critic"
    exported, own = Critic.from_export(out), Critic.from_run(run)
    # the same discriminator, looks and near-copy rule: the same choice among the same candidates
    assert exported.conditional and exported.looks is not None and exported.reference is not None
    assert exported.natural_copies == own.natural_copies
    G, info = open_generator(run)
    z = torch.stack([entry_vector(seed_entry(s), info.latent_dim) for s in range(60)])
    assert pick_latents(G, exported, z, 12)[0].chosen == pick_latents(G, own, z, 12)[0].chosen
    assert main(["pick", "--generator", str(out), "--count", "4", "--seed", "2"]) == 0
    assert "chosen by the run's discriminator and the looks" in capsys.readouterr().out
    # a changed critic (damaged, or another export's) does not pass for this one's
    critic_file(out).write_bytes(critic_file(out).read_bytes()[:-8] + b"        ")
    with pytest.raises(CheckpointError, match="is not the critic shapes.safetensors was exported with"):
        Critic.from_export(out)
    critic_file(out).unlink()
    with pytest.raises(CheckpointError, match=r"the critic of shapes.safetensors \(shapes.critic\) is missing"):
        Critic.from_export(out)
