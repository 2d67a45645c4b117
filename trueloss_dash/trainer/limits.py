"""What one live job on a shared server may cost, checked before it starts (torch-free).

Why: the config's own bounds (``config._BOUNDS``) describe what the CLI can train on a user's own
machine; a dashboard shared by several browsers needs tighter ones - ``width=4096 depth=16`` is
268 M parameters and several GB. The estimate is an upper bound computed from the knobs alone
(no model is built), so a refusal costs nothing. Every refusal is one sentence naming the knob,
the value, the limit and what to change.

Limits can be raised by the operator with environment variables (``TRUELOSS_DASH_MAX_PARAMS``,
``TRUELOSS_DASH_MAX_EPOCHS``, ``TRUELOSS_DASH_MAX_SAMPLES``, ``TRUELOSS_DASH_MAX_WORK``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .config import TrainConfig

# Inputs/outputs per task (upper bounds: digits are 8x8 images with 10 classes; generated tasks have
# 20 features and up to 4 classes - see trainer/data.py).
_TASK_IO = {"digits_mlp": (64, 10), "digits_cnn": (1, 10), "classification": (20, 4), "regression": (20, 1)}
_CNN_PIXELS = 64  # an 8x8 image: each conv weight is used once per pixel


@dataclass(frozen=True)
class JobLimits:
    max_params: int = 1_000_000  # trainable parameters (the default presets use < 20 k)
    max_epochs: int = 500
    max_samples: int = 20_000  # generated dataset size (digits has 1,797)
    max_work: float = 2e11  # parameters x pixels x training samples x epochs (presets: < 1e9)

    @classmethod
    def from_env(cls) -> "JobLimits":
        def read(name: str, default: float, cast=int):
            raw = os.environ.get(name, "").strip()
            try:
                return cast(raw) if raw else default
            except ValueError:
                return default

        d = cls()
        return cls(read("TRUELOSS_DASH_MAX_PARAMS", d.max_params), read("TRUELOSS_DASH_MAX_EPOCHS", d.max_epochs),
                   read("TRUELOSS_DASH_MAX_SAMPLES", d.max_samples), read("TRUELOSS_DASH_MAX_WORK", d.max_work, float))


def parameter_count(config: TrainConfig) -> int:
    """Trainable parameters of the model ``config`` builds (weights + biases; BN adds 2 per unit)."""
    n_in, n_out = _TASK_IO.get(config.task, (64, 10))
    w, depth = int(config.width), int(config.depth)
    bn = 2 * w * depth if config.batchnorm else 0
    if config.task == "digits_cnn":
        convs = (9 * n_in * w + w) + max(depth - 1, 0) * (9 * w * w + w)
        return convs + (w if depth else n_in) * n_out + n_out + bn
    if depth == 0:
        return n_in * n_out + n_out
    return (n_in * w + w) + (depth - 1) * (w * w + w) + w * n_out + n_out + bn


def check(config: TrainConfig, limits: JobLimits | None = None) -> str | None:
    """None when ``config`` fits the server's limits, else one sentence saying what to change."""
    limits = limits or JobLimits.from_env()
    if config.epochs > limits.max_epochs:
        return f"epochs: found {config.epochs}, expected at most {limits.max_epochs} on this server"
    samples = 1797 if config.task.startswith("digits") else int(config.n_samples)
    if samples > limits.max_samples:
        return f"n_samples: found {samples:,}, expected at most {limits.max_samples:,} on this server"
    params = parameter_count(config)
    if params > limits.max_params:
        return (f"width={config.width}, depth={config.depth}: the model would have {params:,} parameters, "
                f"expected at most {limits.max_params:,} on this server - lower width or depth")
    pixels = _CNN_PIXELS if config.task == "digits_cnn" else 1
    work = float(params) * pixels * samples * config.epochs
    if work > limits.max_work:
        return (f"this run would take about {work:.1e} parameter-updates x samples "
                f"(limit {limits.max_work:.0e} on this server) - use fewer epochs, samples or a smaller model")
    return None
