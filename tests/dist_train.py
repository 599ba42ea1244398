"""One process of a distributed test run (tests/test_distributed.py starts it through torchrun, or alone):
``python tests/dist_train.py RUN_DIR STEPS CONFIG_JSON [--resume]``. The training Job as the CLI runs it, with
a config the CLI cannot spell (the lesson MLP without BatchNorm, a tiny demo set)."""

from __future__ import annotations

import json
import sys

from studio.engine.gan.distributed import from_env
from studio.engine.gan.trainer import GanTrainingJob, TrainConfig
from studio.engine.jobs import run_job


def main() -> int:
    run_dir, steps, overrides = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    cfg = TrainConfig.for_preset(overrides.pop("preset"), steps=steps, device="cpu", **overrides)
    dist = from_env("cpu")
    try:
        out = run_job(GanTrainingJob(cfg, run_dir, resume="--resume" in sys.argv, dist=dist), lambda ev: None)
    finally:
        if dist is not None:
            dist.close()
    if out.error:
        print(out.error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
