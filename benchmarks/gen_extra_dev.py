"""Extra DEV-range scenarios with a forced fault family, for checking a mechanism's margins on more
cases than the dev split holds (e.g. 4 unstable-LR runs) - never the test split.

The generator seed of index ``i`` is ``scenario_seed("dev", i)`` = 1,000,000 + i, disjoint from the
test split's 2,000,000 + i; the family draw is made (so the rest of the draw order matches
``scenarios.sample_scenario``) and then replaced by ``FAMILY``. Runs are trained, verified on their
curves and labelled exactly as ``scenario_gen`` does, and written outside the repository:

    nice -n 10 .venv/bin/python benchmarks/gen_extra_dev.py lr_unstable 40 50000 [--out DIR]

Use indices far above the dev split's (50,000+) so they never collide with ``dev-0000``...; score
them with ``eval_diagnosis.py --scenarios DIR`` style code or by hand. A few of these runs are kept
as test data in ``tests/data/generated/`` (see its README).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trueloss_dash.trainer import scenarios as S  # noqa: E402
from trueloss_dash.trainer.scenario_gen import generate_one, write_labels  # noqa: E402


def forced_scenario(family: str, index: int) -> S.Scenario:
    seed = S.scenario_seed("dev", index)
    if seed >= S.SPLIT_SEEDS["test"]:
        raise SystemExit(f"index {index} reaches the test split's seeds")
    rng = random.Random(seed)
    S._pick(rng, S.FAMILIES)  # keep the draw order of sample_scenario; the family is forced
    cfg = S._base(rng)
    S._apply_fault(family, cfg, rng)
    layout, opts = S._layout(family, rng)
    cfg["per_step"] = layout in ("lightning", "hf") or bool(opts.get("per_step"))
    cfg["seed"] = seed % 100_000
    S._fit_budget(cfg)
    return S.Scenario(f"dev-{index:05d}", "dev", seed, family, cfg, layout, opts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("family", choices=sorted(S.FAMILIES))
    ap.add_argument("n", type=int)
    ap.add_argument("start", type=int, help="first index (use 50,000+)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/trueloss-extra-dev"))
    args = ap.parse_args(argv)
    out = args.out / args.family
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for i in range(args.start, args.start + args.n):
        row = generate_one(forced_scenario(args.family, i), out, cache=None)
        rows[row["id"]] = row
        print(row["id"], row["status"], row["layout"], row["numbers"][:80], flush=True)
    write_labels(out / "labels.tsv", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
