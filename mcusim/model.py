"""The in-memory form of a packed model: what the writer packs and the reader returns.

Plain dataclasses over numpy arrays. Nothing here reads or writes bytes
(`mcusim.format`) or computes (`mcusim.reference`); it only names the parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .format.spec import Act, DType, Mode, Op, Padding, PlanKind


@dataclass
class Tensor:
    """An activation tensor: one window is [length, channels] (TFLite: [1, 1, T, C])."""
    length: int
    channels: int
    scale: float
    zero_point: int
    dtype: DType = DType.INT8

    @property
    def nbytes(self) -> int:
        return self.length * self.channels * (4 if self.dtype == DType.INT32 else 1)


@dataclass
class Layer:
    """One node of the layer graph.

    `weights` is None for generated PW layers (their kernel comes from the
    generator) and for ops without weights. `mult`/`shift` hold the per-channel
    requantization (per-tensor FC: one entry; ADD: input a, input b, output).
    `weight_scales` are the float32 weight scales, kept for export only.
    `category` is the byte category the layer's arrays are accounted under.
    """
    name: str
    op: Op
    inputs: tuple[int, ...]
    output: int
    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    padding: Padding = Padding.VALID
    act: Act = Act.NONE
    act_min: int = -128
    act_max: int = 127
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    mult: np.ndarray | None = None
    shift: np.ndarray | None = None
    weight_scales: np.ndarray | None = None
    generated: int | None = None
    category: str = "backbone"

    @property
    def is_generated(self) -> bool:
        return self.generated is not None


@dataclass
class FC:
    """A TFLite-style int8 fully-connected layer of the generator (per-tensor)."""
    weights: np.ndarray          # int8 [out, in]
    bias: np.ndarray             # int32 [out]
    mult: int
    shift: int
    in_zp: int
    out_zp: int
    act_min: int
    act_max: int
    w_scale: float
    out_scale: float

    @property
    def in_features(self) -> int:
        return int(self.weights.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weights.shape[0])


@dataclass
class Generator:
    """The shared micro-MLP: (code, row embedding) -> latent, plus per-fan-in heads."""
    d_code: int
    in_scale: float
    in_zp: int
    embeddings: np.ndarray       # int8 [n_rows, d_emb]
    mlp: list[FC]
    heads: list[FC]              # head h maps latent -> one kernel row of fan-in heads[h].out

    @property
    def d_emb(self) -> int:
        return int(self.embeddings.shape[1])

    @property
    def d_latent(self) -> int:
        return self.mlp[-1].out_features


@dataclass
class GeneratedLayer:
    """A PW layer whose kernel is synthesized: which layer, which head, its code."""
    layer: int
    head: int
    code: np.ndarray             # int8 [d_code]


@dataclass
class PlanEntry:
    """One arena buffer: what it holds, where, how big, and when it is live.

    Time steps: 0 is boot synthesis, 1 + i is layer i (inclusive range)."""
    kind: PlanKind
    ref: int
    offset: int
    size: int
    first: int
    last: int


@dataclass
class MemoryPlan:
    arena_size: int
    entries: list[PlanEntry]

    def of_kind(self, kind: PlanKind) -> list[PlanEntry]:
        return [e for e in self.entries if e.kind == kind]


@dataclass
class Model:
    """A whole packed model."""
    name: str
    sample_rate_hz: int
    tensors: list[Tensor]
    layers: list[Layer]
    input_tensor: int
    output_tensor: int
    class_tensor: int
    generator: Generator | None = None
    generated: list[GeneratedLayer] = field(default_factory=list)
    plans: dict[Mode, MemoryPlan] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return self.tensors[self.output_tensor].channels

    @property
    def input_shape(self) -> tuple[int, int]:
        t = self.tensors[self.input_tensor]
        return t.length, t.channels

    def layer_macs(self, index: int) -> int:
        """Multiply-accumulates of one layer for one window (0 for ops without weights)."""
        layer = self.layers[index]
        out = self.tensors[layer.output]
        src = self.tensors[layer.inputs[0]]
        if layer.op == Op.CONV:
            return out.length * out.channels * layer.kernel * src.channels
        if layer.op == Op.DW_CONV:
            return out.length * out.channels * layer.kernel
        if layer.op in (Op.PW_CONV, Op.FULLY_CONNECTED):
            return out.length * out.channels * src.channels
        return 0

    def layer_weight_shape(self, index: int) -> tuple[int, ...] | None:
        """The kernel shape of a layer (also for generated PW layers)."""
        layer = self.layers[index]
        cin = self.tensors[layer.inputs[0]].channels
        cout = self.tensors[layer.output].channels
        if layer.op == Op.CONV:
            return (cout, layer.kernel, cin)
        if layer.op == Op.DW_CONV:
            return (layer.kernel, cin)
        if layer.op in (Op.PW_CONV, Op.FULLY_CONNECTED):
            return (cout, cin)
        return None
