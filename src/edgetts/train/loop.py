"""The loop the flow and prior students share: one sentence a step, Adam on a cosine.

Both distil a small graph whose examples are whole sentences of very different
lengths, so they take one sentence a step instead of padded batches, and both
learn fast enough that a plain cosine from a fixed peak serves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["History", "fit_per_sentence", "whole_sentence"]

LEARNING_RATE = 1e-3
CURVE_POINTS = 10


def whole_sentence(x: Tensor) -> Tensor:
    """The mask, shape (1, 1, T), of one unpadded sentence ``x`` of shape (..., T)."""
    return torch.ones(1, 1, x.shape[-1], dtype=torch.float32)


@dataclass
class History:
    steps: int = 0
    seconds: float = 0.0
    curve: list[tuple[float, ...]] = field(default_factory=list)  # (step, held-out errors)


def fit_per_sentence(
    student: nn.Module,
    loss: Callable[[int], Tensor],
    evaluate: Callable[[], tuple[float, ...]],
    *,
    examples: int,
    steps: int,
    seed: int,
) -> History:
    """Train ``student`` for ``steps`` steps on ``loss(i)`` of an example drawn from
    ``range(examples)``; ``evaluate`` gives the curve at the start and 10 points."""
    torch.manual_seed(seed)
    student.train()
    optimizer = torch.optim.Adam(student.parameters(), LEARNING_RATE)
    order = np.random.default_rng(seed).integers(examples, size=steps)
    history = History(curve=[(0, *evaluate())])
    every = max(1, steps // CURVE_POINTS)
    started = time.perf_counter()
    for step, index in enumerate(order, 1):
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + math.cos(math.pi * (step - 1) / steps))
        optimizer.zero_grad()
        torch.autograd.backward(loss(int(index)))
        optimizer.step()
        if step % every == 0 or step == steps:
            history.curve.append((step, *evaluate()))
    history.steps, history.seconds = steps, time.perf_counter() - started
    student.eval()
    return history
