"""Small models (MLP, CNN) whose randomness comes only from generators the run owns.

PyTorch's ``nn.Dropout`` draws from the process-global RNG, which worker threads share: two jobs
at once would perturb each other, and a measurement pass in train mode would shift the training
stream. :class:`GeneratorDropout` draws from whatever generator its :class:`RngSlot` holds, so the
trainer can hand it the training generator during training and a separate one while measuring.
Initialisation is redone from the run's generator for the same reason.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import TrainConfig


class RngSlot:
    """The generator that randomised layers (dropout) draw from right now."""

    def __init__(self, generator: torch.Generator) -> None:
        self.generator = generator


class GeneratorDropout(nn.Module):
    def __init__(self, p: float, slot: RngSlot) -> None:
        super().__init__()
        self.p = p
        self.slot = slot

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.rand(x.shape, generator=self.slot.generator) >= self.p
        return x * keep / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _hidden_block(layer: nn.Module, width: int, config: TrainConfig, slot: RngSlot, conv: bool) -> list[nn.Module]:
    mods: list[nn.Module] = [layer]
    if config.batchnorm:
        norm = nn.BatchNorm2d if conv else nn.BatchNorm1d
        mods.append(norm(width, momentum=config.bn_momentum))
    mods.append(nn.ReLU())
    if config.dropout > 0:
        mods.append(GeneratorDropout(config.dropout, slot))
    return mods


def build_model(config: TrainConfig, n_inputs: int, n_outputs: int, slot: RngSlot, generator: torch.Generator) -> nn.Module:
    if config.is_conv:
        mods: list[nn.Module] = []
        channels = 1
        for i in range(config.depth):
            mods += _hidden_block(nn.Conv2d(channels, config.width, 3, padding=1), config.width, config, slot, conv=True)
            if i == 0:
                mods.append(nn.MaxPool2d(2))  # 8×8 → 4×4
            channels = config.width
        mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, n_outputs)]
        model = nn.Sequential(*mods)
    else:
        mods = []
        fan_in = n_inputs
        for _ in range(config.depth):
            mods += _hidden_block(nn.Linear(fan_in, config.width), config.width, config, slot, conv=False)
            fan_in = config.width
        mods.append(nn.Linear(fan_in, n_outputs))
        model = nn.Sequential(*mods)
    _init_from(model, generator)
    return model


def _init_from(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear/Conv initialisation, drawn from the run's own generator."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                if module.bias is not None:
                    fan_in = module.weight[0].numel()
                    bound = 1 / math.sqrt(fan_in)
                    module.bias.uniform_(-bound, bound, generator=generator)


def penalised_weights(model: nn.Module) -> list[torch.Tensor]:
    """Weights an L1/L2 penalty applies to: Linear/Conv kernels (not biases, not BatchNorm), as Keras does."""
    return [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def has_train_mode_effect(model: nn.Module) -> bool:
    """True when train and eval mode differ (dropout or batch norm): only then is a train-mode pass needed."""
    return any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) or (isinstance(m, GeneratorDropout) and m.p > 0)
        for m in model.modules()
    )


def has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
