"""Data for the demo runs: only data that ships with scikit-learn or is generated (no downloads).

Data problems (label noise, an easier or shifted validation set, leakage, class-sorted order) are
applied here, once, with a numpy generator seeded from the config, so a run's data is a pure
function of its config.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .config import TrainConfig
from .estimate import regression_strata, stratified_split


@dataclass
class TaskData:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    n_classes: int  # 0 = regression
    image_shape: tuple[int, int, int] | None  # (C, H, W) for image tasks
    subsample_index: torch.Tensor  # fixed stratified subsample of the training set

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_val(self) -> int:
        return len(self.x_val)

    @property
    def is_regression(self) -> bool:
        return self.n_classes == 0


SHAPE_CLASSES = ("horizontal bar", "vertical bar", "diagonal", "anti-diagonal", "square outline", "cross")


def synthetic_shapes(n: int, seed: int, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """``n`` flat ``size``x``size`` images of one of :data:`SHAPE_CLASSES` each (random place, length,
    brightness; blurred background noise): a small image task that is generated, not downloaded,
    and that a CNN learns better than a linear model (the shapes move)."""
    rng = np.random.default_rng(seed + 104729)
    y = rng.integers(0, len(SHAPE_CLASSES), size=n)
    imgs = np.zeros((n, size, size), dtype=np.float32)
    for i, label in enumerate(y):
        length = int(rng.integers(3, size - 1))
        r, c = (int(v) for v in rng.integers(0, size - length + 1, size=2))
        bright = float(rng.uniform(0.6, 1.0))
        img = imgs[i]
        k = np.arange(length)
        if label == 0:
            img[int(rng.integers(0, size)), c + k] = bright
        elif label == 1:
            img[r + k, int(rng.integers(0, size))] = bright
        elif label == 2:
            img[r + k, c + k] = bright
        elif label == 3:
            img[r + k, c + length - 1 - k] = bright
        elif label == 4:
            img[r, c + k] = img[r + length - 1, c + k] = bright
            img[r + k, c] = img[r + k, c + length - 1] = bright
        else:
            mid = length // 2
            img[r + mid, c + k] = img[r + k, c + mid] = bright
    imgs += rng.normal(scale=0.1, size=imgs.shape).astype(np.float32)
    return imgs.reshape(n, -1), y.astype(np.int64)


def _raw(config: TrainConfig) -> tuple[np.ndarray, np.ndarray, int]:
    if config.task.startswith("shapes"):
        x, y = synthetic_shapes(config.n_samples, config.seed)
        return x, y, len(SHAPE_CLASSES)
    if config.is_image_task:
        from sklearn.datasets import load_digits

        digits = load_digits()
        return digits.data.astype(np.float32) / 16.0, digits.target.astype(np.int64), 10
    if config.task == "classification":
        from sklearn.datasets import make_classification

        x, y = make_classification(
            n_samples=config.n_samples, n_features=20, n_informative=8, n_redundant=4, n_classes=4,
            n_clusters_per_class=2, class_sep=1.0, flip_y=0.0, random_state=config.seed,
        )
        x = (x - x.mean(0)) / x.std(0)
        return x.astype(np.float32), y.astype(np.int64), 4
    # regression: a smooth non-linear target with a little noise
    rng = np.random.default_rng(config.seed + 7919)
    x = rng.normal(size=(config.n_samples, 10)).astype(np.float32)
    w1, w2 = rng.normal(size=10), rng.normal(size=10)
    y = np.sin(x @ w1 / 2.0) + 0.25 * (x @ w2 / 3.0) ** 2 + 0.1 * rng.normal(size=len(x))
    return x, y.astype(np.float32), 0


def build_data(config: TrainConfig) -> TaskData:
    rng = np.random.default_rng(config.seed)
    x, y, n_classes = _raw(config)
    strata = y if n_classes else regression_strata(y)
    val_idx, train_idx = stratified_split(strata, config.val_fraction, rng)
    if config.train_fraction < 1.0:
        train_idx = train_idx[stratified_split(strata[train_idx], config.train_fraction, rng)[0]]
    x_train, y_train = x[train_idx].copy(), y[train_idx].copy()
    x_val, y_val = x[val_idx].copy(), y[val_idx].copy()

    if config.label_noise > 0:
        flip = rng.random(len(y_train)) < config.label_noise
        if n_classes:
            # a different class, uniformly: the noisy label is always wrong
            y_train[flip] = (y_train[flip] + rng.integers(1, n_classes, size=int(flip.sum()))) % n_classes
        else:
            y_train[flip] = rng.permutation(y_train)[: int(flip.sum())]
    if config.val_shift > 0:
        if config.easier_val:  # training inputs carry a fixed corruption the validation set lacks
            x_train = x_train + rng.normal(scale=config.val_shift, size=x_train.shape).astype(np.float32)
        else:  # covariate shift: validation inputs moved away from the training distribution
            x_val = x_val + np.float32(config.val_shift)
    if config.leakage > 0:
        n_leak = int(round(config.leakage * len(x_val)))
        slots = rng.choice(len(x_val), size=n_leak, replace=False)
        sources = rng.choice(len(x_train), size=n_leak, replace=False) if n_leak <= len(x_train) else rng.integers(0, len(x_train), n_leak)
        x_val[slots], y_val[slots] = x_train[sources], y_train[sources]
    if config.class_sorted:
        order = np.argsort(y_train if n_classes else strata[train_idx], kind="stable")
        x_train, y_train = x_train[order], y_train[order]

    train_strata = y_train if n_classes else regression_strata(y_train)
    if config.true_loss == "full" or config.subsample >= len(x_train):
        sub = np.arange(len(x_train))
    else:
        sub, _ = stratified_split(train_strata, config.subsample / len(x_train), rng)

    image_shape = None
    if config.is_conv:
        image_shape = (1, 8, 8)
        x_train, x_val = x_train.reshape(-1, 1, 8, 8), x_val.reshape(-1, 1, 8, 8)
    elif config.is_image_task:
        image_shape = (1, 8, 8)  # stored flat; augmentation reshapes to images

    target_type = torch.long if n_classes else torch.float32
    return TaskData(
        x_train=torch.from_numpy(np.ascontiguousarray(x_train)),
        y_train=torch.as_tensor(y_train, dtype=target_type),
        x_val=torch.from_numpy(np.ascontiguousarray(x_val)),
        y_val=torch.as_tensor(y_val, dtype=target_type),
        n_classes=n_classes,
        image_shape=image_shape,
        subsample_index=torch.as_tensor(sub, dtype=torch.long),
    )


def augment(x: torch.Tensor, config: TrainConfig, image_shape, generator: torch.Generator) -> torch.Tensor:
    """Randomly perturbed copy of a batch (noise; shift/flip for images) drawn from ``generator``."""
    if not config.has_augmentation:
        return x
    out = x
    if (config.shift or config.flip) and image_shape is not None:
        flat = out.dim() == 2
        imgs = out.reshape(-1, *image_shape) if flat else out
        n = imgs.shape[0]
        if config.flip:
            mask = torch.rand(n, generator=generator) < 0.5
            imgs = torch.where(mask[:, None, None, None], imgs.flip(-1), imgs)
        if config.shift:
            padded = torch.nn.functional.pad(imgs, (1, 1, 1, 1))
            dy = torch.randint(0, 3, (n,), generator=generator)
            dx = torch.randint(0, 3, (n,), generator=generator)
            h, w = image_shape[1], image_shape[2]
            rows = (dy[:, None] + torch.arange(h)[None, :])  # n × h
            cols = (dx[:, None] + torch.arange(w)[None, :])  # n × w
            batch = torch.arange(n)[:, None, None]
            imgs = padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        out = imgs.reshape(x.shape) if flat else imgs
    if config.noise_std > 0:
        out = out + config.noise_std * torch.randn(out.shape, generator=generator)
    return out
