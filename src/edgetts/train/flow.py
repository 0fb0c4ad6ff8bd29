"""A narrower flow: the voice's coupling layers with fewer hidden channels,
distilled from the fp32 flow.

Once the decoder is a small student, the flow is the costliest graph left: four
coupling layers of four WaveNet layers each, 192 hidden channels, at the frame
rate. Each coupling keeps the ``width`` share of its hidden channels (by the
magnitude of the weights that read and write them), and the narrowed flow is
trained to give the teacher flow's ``z`` for the same prior sample (L1, whole
sentences, a cosine learning rate). It learns fast: the map is smooth and
local. The export writes its weights into the voice's own flow graph and
narrows the graph's channel slices to match.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..config import SynthesisConfig, check_int
from ..voice import Voice
from .export import replace_layers
from .loop import History, fit_per_sentence, whole_sentence
from .model import ResidualFlow, VitsVoice, _sub
from .prior import phoneme_sequences
from .prune import _conv, narrow

__all__ = [
    "check_flow_settings",
    "distill_flow",
    "export_flow",
    "flow_pairs",
    "prior_samples",
    "prune_flow",
]

FlowPair = tuple[Tensor, Tensor]  # z_p and z, (1, channels, frames)


def prior_samples(
    model: VitsVoice, voice: Voice, texts: Sequence[str], *, draws: int, seed: int
) -> Iterator[tuple[Tensor, Tensor]]:
    """(prior sample ``z_p``, frame mask), ``draws`` of each sentence of ``texts``."""
    scales = SynthesisConfig().scales(voice.config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for ids in phoneme_sequences(voice, texts):
            for _ in range(draws):
                z_p, mask, _ = model.prior(ids, scales, generator)
                yield z_p, mask


def flow_pairs(
    model: VitsVoice, voice: Voice, texts: Sequence[str], *, draws: int, seed: int
) -> list[FlowPair]:
    """(prior sample, teacher flow's z) for every sentence of ``texts``, ``draws`` each."""
    with torch.no_grad():
        return [
            (z_p, model.flow(z_p, mask))
            for z_p, mask in prior_samples(model, voice, texts, draws=draws, seed=seed)
        ]


def check_flow_settings(width: object, steps: object = 1) -> None:
    """Raise ``ValueError`` for a width outside (0, 1] or steps that are not a positive int."""
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 1:
        raise ValueError(f"flow width must be a fraction in (0, 1], got {width!r}")
    check_int("flow steps", steps, low=1)


@torch.no_grad()
def prune_flow(flow: ResidualFlow, width: float) -> ResidualFlow:
    """A copy of ``flow`` keeping ``width`` of each coupling's hidden channels."""
    check_flow_settings(width)
    hidden = flow.hidden
    count = max(1, round(width * hidden))
    pruned = copy.deepcopy(flow)
    for index in flow.indices:
        coupling = _sub(pruned.flows, str(index))
        layers = [f"enc.in_layers.{i}" for i in range(flow.layers)]
        score = _conv(coupling, "pre").weight.abs().sum((1, 2))
        score = score + _conv(coupling, "post").weight.abs().sum((0, 2))
        for path in layers:
            score = score + _conv(coupling, path).weight.abs().sum((0, 2))
        keep = torch.sort(torch.topk(score, count).indices).values
        pairs = torch.cat([keep, keep + hidden])  # the gate's tanh and sigmoid halves
        narrow(coupling, "pre", keep, None)
        narrow(coupling, "post", None, keep)
        for i, path in enumerate(layers):
            narrow(coupling, path, pairs, keep)
            last = i == flow.layers - 1  # the last layer writes only the skip half
            narrow(coupling, f"enc.res_skip_layers.{i}", keep if last else pairs, keep)
    pruned.hidden = count
    return pruned


def _held_out_error(flow: ResidualFlow, pairs: Sequence[FlowPair]) -> float:
    with torch.no_grad():
        errors = [(flow(z_p, whole_sentence(z_p)) - z).abs().mean().item() for z_p, z in pairs]
    return float(np.mean(errors))


def distill_flow(
    teacher: ResidualFlow,
    train: Sequence[FlowPair],
    held_out: Sequence[FlowPair],
    *,
    width: float,
    steps: int,
    seed: int = 0,
) -> tuple[ResidualFlow, History]:
    """The flow pruned to ``width`` and trained ``steps`` steps (one sentence each)."""
    check_flow_settings(width, steps)
    if not train or not held_out:
        raise ValueError("distilling the flow needs training and held-out sentences")
    student = prune_flow(teacher, width)

    def loss(index: int) -> Tensor:
        z_p, z = train[index]
        return (student(z_p, whole_sentence(z_p)) - z).abs().mean()

    history = fit_per_sentence(
        student,
        loss,
        lambda: (_held_out_error(student, held_out),),
        examples=len(train),
        steps=steps,
        seed=seed,
    )
    return student, history


def export_flow(flow: ResidualFlow, source: Path, target: Path) -> None:
    """Write ``source`` (the voice's flow graph) with ``flow``'s weights to ``target``;
    the slices that split the source's hidden channels split ``flow.hidden`` instead."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    pre = next(n for n in graph.node if n.op_type == "Conv" and n.name.endswith("/pre/Conv"))
    hidden = values[pre.input[1]].shape[0]  # read before the student's weights go in
    replace_layers(model, flow, "flow.")
    narrowed = numpy_helper.from_array(np.array([flow.hidden], dtype=np.int64), "flow_hidden")
    for node in graph.node:
        if node.op_type != "Slice":
            continue
        for position in (1, 2):  # starts, ends
            value = values.get(node.input[position])
            if value is not None and value.tolist() == [hidden]:
                node.input[position] = narrowed.name
    graph.initializer.append(narrowed)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
