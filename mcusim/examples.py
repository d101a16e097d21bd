"""Deterministic example models: a reference 1-D separable CNN for ECG windows.

``build_example(name, seed)`` returns a complete :class:`~mcusim.model.Model`
(weights, requantization, generator, memory plans) for one of :data:`EXAMPLES`.
The architecture is the one the HyperTinyPW paper compresses: single-lead ECG
windows of 256 samples at 360 Hz, five AAMI classes (N, S, V, F, Q)::

    stem CONV k7/2 (ReLU) -> MAX_POOL 2/2
    blocks: DW_CONV k5 (/2 when downsampling, ReLU) -> PW_CONV (ReLU) [-> ADD skip]
    GLOBAL_AVG_POOL -> FULLY_CONNECTED (5) -> ARGMAX

The first PW layer (PW1) is stored INT8; the other PW kernels are synthesized by
the generator (:mod:`mcusim.reference.synth`), except in ``ecg-int8`` which is
``ecg-225k`` with every generated kernel stored as INT8 (same function, bit for
bit). Weights are seeded random but shaped like trained ones: He-initialised,
batch-norm folded (per-channel gain and shift over calibration data), per-channel
symmetric int8. Activation scales and zero points are calibrated on synthetic
ECG windows with a fake-quantized float forward pass (:mod:`mcusim.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from mcusim import calibrate as cal
from mcusim.errors import ExampleError
from mcusim.format.spec import Act, DType, Op, Padding
from mcusim.model import FC, GeneratedLayer, Generator, Layer, Model, Tensor
from mcusim.plan import plan_memory
from mcusim.reference import quant
from mcusim.reference.synth import synthesize_layer, synthesize_model


@dataclass(frozen=True)
class GeneratorSpec:
    """Sizes of the generator: code and row-embedding widths, hidden layers, latent."""
    d_code: int
    d_emb: int
    hidden: tuple[int, ...]
    d_latent: int


@dataclass(frozen=True)
class Block:
    """DW_CONV (stride) + PW_CONV to ``channels``; residual ADD when shapes allow."""
    channels: int
    stride: int = 1


@dataclass(frozen=True)
class Architecture:
    description: str
    length: int
    stem: int
    blocks: tuple[Block, ...]
    generator: GeneratorSpec | None
    pool: Op = Op.MAX_POOL
    stem_kernel: int = 7
    dw_kernel: int = 5
    n_classes: int = 5
    calibration_windows: int = 48
    stored_copy_of: str | None = None   # build that example and store its kernels


def _downsampling(*channels: int) -> tuple[Block, ...]:
    return tuple(Block(c, 2) for c in channels)


def _ecg(description: str, pw1: int, down: tuple[int, ...], depth: int,
         gen: GeneratorSpec | None, stored_copy_of: str | None = None) -> Architecture:
    blocks = (Block(pw1),) + _downsampling(*down) + (Block(down[-1]),) * depth
    return Architecture(description, 256, 16, blocks, gen, stored_copy_of=stored_copy_of)


_G225 = GeneratorSpec(d_code=16, d_emb=64, hidden=(64,), d_latent=64)

EXAMPLES: dict[str, Architecture] = {
    "tiny": Architecture(
        "T=32 smoke-test model: kept PW1, two generated PWs of fan-in 8 and 12, an ADD",
        length=32, stem=4, pool=Op.AVG_POOL, blocks=(Block(8), Block(12), Block(12)),
        generator=GeneratorSpec(d_code=4, d_emb=4, hidden=(8,), d_latent=6),
        calibration_windows=32),
    "ecg-32k": _ecg("ECG CNN under a 32 kB flash budget (widest PW 64)",
                    16, (32, 64), 8, GeneratorSpec(8, 16, (32,), 32)),
    "ecg-64k": _ecg("ECG CNN under a 64 kB flash budget (widest PW 128)",
                    32, (64, 128), 9, GeneratorSpec(12, 16, (48,), 40)),
    "ecg-225k": _ecg("ECG CNN, ~225 kB: the ~1.4 MB INT8 network with generated PWs",
                     32, (64, 128, 256), 18, _G225),
    "ecg-int8": _ecg("ecg-225k with every PW kernel stored INT8 (no generator)",
                     32, (64, 128, 256), 18, _G225, stored_copy_of="ecg-225k"),
}


#: The example bundled inside the package, so that ``mcusim`` works right after install.
BUNDLED = "ecg-32k"


def example_names() -> list[str]:
    return list(EXAMPLES)


def bundled_model_path() -> Path:
    """Path of the bundled model file (``mcusim example ecg-32k``, seed 0, byte for byte;
    regenerate with ``mcusim example ecg-32k -o mcusim/data/ecg-32k.bin``)."""
    return Path(str(resources.files("mcusim") / "data" / f"{BUNDLED}.bin"))


def build_example(name: str, seed: int = 0) -> Model:
    """The example model ``name``; the same name and seed always give the same model."""
    arch = EXAMPLES.get(name)
    if arch is None:
        raise ExampleError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    if not 0 <= seed < 2**32:
        raise ExampleError(f"seed must be in [0, 2**32), got {seed}")
    if arch.stored_copy_of is not None:
        return store_generated(build_example(arch.stored_copy_of, seed), name)
    return _ModelBuilder(name, arch, seed).build()


def store_generated(model: Model, name: str | None = None) -> Model:
    """The same model with every generated kernel synthesized and stored as INT8.

    Computes exactly what ``model`` computes; the generator, codes and heads are
    gone and each generated layer keeps its bias, scales and requantization.
    """
    kernels = synthesize_model(model) if model.generated else []
    layers = []
    for layer in model.layers:
        if layer.is_generated:
            layer = replace(layer, weights=kernels[layer.generated].copy(), generated=None,
                            category="backbone")
        layers.append(layer)
    stored = Model(name=name or model.name, sample_rate_hz=model.sample_rate_hz,
                   tensors=list(model.tensors), layers=layers,
                   input_tensor=model.input_tensor, output_tensor=model.output_tensor,
                   class_tensor=model.class_tensor)
    stored.plans = plan_memory(stored)
    return stored


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------

_ACT_NAME = {Act.NONE: "none", Act.RELU: "relu", Act.RELU6: "relu6"}
_PAD_NAME = {Padding.SAME: "same", Padding.VALID: "valid"}


def _apply_act(act: Act, y: np.ndarray) -> np.ndarray:
    if act == Act.RELU:
        return cal.relu(y)
    if act == Act.RELU6:
        return np.clip(y, 0.0, 6.0)
    return y


class _ModelBuilder:
    """Builds one model layer by layer while carrying the calibration batch.

    ``self.acts[t]`` is the fake-quantized float value of tensor ``t`` on the
    calibration windows, ``[N, T, C]``.
    """

    def __init__(self, name: str, arch: Architecture, seed: int):
        self.name = name
        self.arch = arch
        self.rng = np.random.default_rng([seed, 1])
        self.gen_rng = np.random.default_rng([seed, 2])
        self.windows = cal.synthetic_ecg(arch.calibration_windows, arch.length,
                                         seed=[seed, 3])
        self.tensors: list[Tensor] = []
        self.layers: list[Layer] = []
        self.acts: dict[int, np.ndarray] = {}

    # -- tensors ---------------------------------------------------------

    def _tensor(self, values: np.ndarray, act: Act = Act.NONE) -> tuple[int, int, int]:
        """A new int8 tensor calibrated on ``values`` [N, T, C]; returns (index, min, max)."""
        scale, zp = cal.activation_qparams(values)
        lo, hi = quant.activation_range(_ACT_NAME[act], scale, zp)
        return self._add_tensor(values, scale, zp, lo, hi), lo, hi

    def _add_tensor(self, values, scale, zp, lo=-128, hi=127) -> int:
        self.tensors.append(Tensor(values.shape[1], values.shape[2], scale, zp))
        index = len(self.tensors) - 1
        self.acts[index] = cal.fake_quant(values, scale, zp, lo, hi)
        return index

    def _info(self, t: int) -> tuple[np.ndarray, float, int]:
        tensor = self.tensors[t]
        return self.acts[t], tensor.scale, tensor.zero_point

    # -- weighted layers ---------------------------------------------------

    def _bn_fold(self, z: np.ndarray, residual: bool) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel (gain, bias) of a folded batch norm over pre-activations ``z``."""
        channels = z.shape[-1]
        flat = z.reshape(-1, channels)
        mean, std = flat.mean(axis=0), flat.std(axis=0)
        std = np.maximum(std, 1e-3 * max(float(std.max()), 1e-9))
        gamma = self.rng.uniform(0.25, 0.5, channels) if residual else \
            self.rng.uniform(0.6, 1.4, channels)
        beta = self.rng.normal(0.15, 0.35, channels) * (0.5 if residual else 1.0)
        return gamma / std, beta - gamma * mean / std

    def _weighted(self, name: str, op: Op, src: int, w_float: np.ndarray | None, *,
                  generated: np.ndarray | None = None, gen_scale: float = 1.0,
                  stride: int = 1, padding: Padding = Padding.SAME, act: Act = Act.RELU,
                  residual: bool = False, category: str = "backbone") -> Layer:
        """CONV / DW_CONV / PW_CONV with batch-norm folding, quantization, calibration."""
        x, in_scale, in_zp = self._info(src)
        pad = _PAD_NAME[padding]

        def forward(w):
            if op == Op.CONV:
                return cal.conv(x, w, stride, 1, pad)
            if op == Op.DW_CONV:
                return cal.dw_conv(x, w, stride, 1, pad)
            return cal.pw_conv(x, w)

        channel_axis = 1 if op == Op.DW_CONV else 0
        if generated is not None:     # int8 kernel from the generator, scale per row
            w_base = generated.astype(np.float64) * gen_scale
        else:
            w_base = w_float
        gain, bias = self._bn_fold(forward(w_base), residual)
        shape = [1] * w_base.ndim
        shape[channel_axis] = -1
        if generated is not None:
            w_q = generated
            w_scales = (np.float64(gen_scale) * gain).astype(np.float32)
        else:
            w_q, w_scales = cal.per_channel_weights(w_base * gain.reshape(shape), channel_axis)
        b_q = cal.quantize_bias(bias, in_scale, w_scales)
        w_deq = w_q.astype(np.float64) * w_scales.astype(np.float64).reshape(shape)
        acc_scale = np.float32(in_scale) * w_scales.astype(np.float64)
        y = _apply_act(act, forward(w_deq) + b_q * acc_scale)
        out, lo, hi = self._tensor(y, act)
        mult, shift = quant.conv_requant(in_scale, w_scales, self.tensors[out].scale)
        kernel = w_q.shape[1] if op == Op.CONV else (w_q.shape[0] if op == Op.DW_CONV else 1)
        layer = Layer(name, op, (src,), out, kernel=kernel, stride=stride,
                      padding=padding if op != Op.PW_CONV else Padding.VALID, act=act,
                      act_min=lo, act_max=hi, weights=None if generated is not None else w_q,
                      bias=b_q, mult=mult, shift=shift, weight_scales=w_scales,
                      category=category)
        self.layers.append(layer)
        return layer

    def _he(self, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return self.rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)

    # -- other layers --------------------------------------------------------

    def _pool(self, name: str, op: Op, src: int, kernel: int, stride: int) -> int:
        x, scale, zp = self._info(src)
        if op == Op.MAX_POOL:
            y = cal.max_pool(x, kernel, stride)
        elif op == Op.AVG_POOL:
            y = cal.avg_pool(x, kernel, stride)
        else:
            y = x.mean(axis=1, keepdims=True)
        out = self._add_tensor(y, scale, zp)
        self.layers.append(Layer(name, op, (src,), out, kernel=kernel, stride=stride))
        return out

    def _add(self, name: str, a: int, b: int) -> int:
        xa, sa, za = self._info(a)
        xb, sb, zb = self._info(b)
        out, lo, hi = self._tensor(xa + xb)
        r = quant.add_requant(sa, sb, self.tensors[out].scale)
        self.layers.append(Layer(
            name, Op.ADD, (a, b), out, act_min=lo, act_max=hi,
            mult=np.array([r.a_mult, r.b_mult, r.out_mult], dtype=np.int32),
            shift=np.array([r.a_shift, r.b_shift, r.out_shift], dtype=np.int8)))
        return out

    def _classifier(self, src: int) -> int:
        x, in_scale, in_zp = self._info(src)
        x = x.reshape(x.shape[0], -1)
        n_in, n_out = x.shape[1], self.arch.n_classes
        w = self.rng.normal(0.0, 1.0, (n_out, n_in))
        logits = x @ w.T
        w *= 2.0 / max(float(logits.std()), 1e-9)       # logits of a few units
        bias = self.rng.normal(0.0, 0.3, n_out)
        w_scale = cal.symmetric_scale(w)
        w_q = cal.quantize(w, w_scale, 0, -127, 127)
        b_q = cal.quantize_bias(bias, in_scale, [w_scale])
        acc = np.float32(in_scale) * np.float32(w_scale)
        y = (x @ (w_q.astype(np.float64) * w_scale).T + b_q * float(acc))[:, None, :]
        out, lo, hi = self._tensor(y)
        mult, shift = quant.fc_requant(in_scale, w_scale, self.tensors[out].scale)
        self.layers.append(Layer(
            "fc", Op.FULLY_CONNECTED, (src,), out, act_min=lo, act_max=hi, weights=w_q,
            bias=b_q, mult=np.array([mult], dtype=np.int32),
            shift=np.array([shift], dtype=np.int8),
            weight_scales=np.array([w_scale], dtype=np.float32)))
        return out

    # -- the whole model -----------------------------------------------------

    def build(self) -> Model:
        arch = self.arch
        gen_builder = None
        if arch.generator is not None:
            gen_builder = _GeneratorBuilder(arch.generator, self._pw_shapes(), self.gen_rng)
        x = self._add_tensor_from_input()
        x = self._weighted("stem", Op.CONV, x, self._he((arch.stem, arch.stem_kernel, 1),
                                                          arch.stem_kernel), stride=2).output
        x = self._pool("pool", arch.pool, x, 2, 2)
        channels = arch.stem
        generated: list[GeneratedLayer] = []
        for i, block in enumerate(arch.blocks, start=1):
            block_in = x
            residual = block.stride == 1 and block.channels == channels
            x = self._weighted(f"b{i}.dw", Op.DW_CONV, x,
                               self._he((arch.dw_kernel, channels), arch.dw_kernel),
                               stride=block.stride).output
            if i == 1 or gen_builder is None:
                x = self._weighted(f"b{i}.pw", Op.PW_CONV, x,
                                   self._he((block.channels, channels), channels),
                                   residual=residual,
                                   category="pw1" if i == 1 else "backbone").output
            else:
                g = len(generated)
                head = gen_builder.head_of(channels)
                layer = self._weighted(f"b{i}.pw", Op.PW_CONV, x, None,
                                       generated=gen_builder.kernels[g],
                                       gen_scale=gen_builder.generator.heads[head].out_scale,
                                       residual=residual, category="codes")
                layer.generated = g
                generated.append(GeneratedLayer(len(self.layers) - 1, head,
                                                gen_builder.codes[g]))
                x = layer.output
            if residual:
                x = self._add(f"b{i}.add", block_in, x)
            channels = block.channels
        x = self._pool("gap", Op.GLOBAL_AVG_POOL, x, self.tensors[x].length,
                       self.tensors[x].length)
        logits = self._classifier(x)
        self.tensors.append(Tensor(1, 1, 1.0, 0, DType.INT32))
        classes = len(self.tensors) - 1
        self.layers.append(Layer("argmax", Op.ARGMAX, (logits,), classes))
        model = Model(self.name, cal.SAMPLE_RATE_HZ, self.tensors, self.layers,
                      input_tensor=0, output_tensor=logits, class_tensor=classes,
                      generator=gen_builder.generator if gen_builder else None,
                      generated=generated)
        model.plans = plan_memory(model)
        return model

    def _add_tensor_from_input(self) -> int:
        values = self.windows[:, :, None]
        scale, zp = cal.activation_qparams(values)
        return self._add_tensor(values, scale, zp)

    def _pw_shapes(self) -> list[tuple[int, int]]:
        """(Cout, Cin) of every generated PW layer, in layer order."""
        shapes, channels = [], self.arch.stem
        for i, block in enumerate(self.arch.blocks, start=1):
            if i > 1:
                shapes.append((block.channels, channels))
            channels = block.channels
        return shapes


class _GeneratorBuilder:
    """The generator of a model: codes, row embeddings, micro-MLP, heads, kernels.

    Float weights are He-initialised and quantized per tensor; every FC layer's
    output range is calibrated on the very rows it will process (all rows of all
    generated layers), then the INT8 generator synthesizes the kernels.
    """

    def __init__(self, spec: GeneratorSpec, shapes: list[tuple[int, int]],
                 rng: np.random.Generator):
        self.rng = rng
        fan_ins = sorted({cin for _, cin in shapes})
        self._head_index = {cin: h for h, cin in enumerate(fan_ins)}
        n_rows = max(cout for cout, _ in shapes)
        codes_f = rng.normal(0.0, 1.0, (len(shapes), spec.d_code))
        emb_f = rng.normal(0.0, 1.0, (n_rows, spec.d_emb))
        in_scale, in_zp = cal.asymmetric_qparams(min(codes_f.min(), emb_f.min()),
                                                 max(codes_f.max(), emb_f.max()))
        self.codes = [cal.quantize(c, in_scale, in_zp) for c in codes_f]
        embeddings = cal.quantize(emb_f, in_scale, in_zp)

        # Calibration rows: every row of every generated layer, dequantized.
        rows = np.concatenate([
            np.concatenate([np.broadcast_to(code, (cout, spec.d_code)), embeddings[:cout]], 1)
            for code, (cout, _) in zip(self.codes, shapes)]).astype(np.float64)
        x, scale, zp = (rows - in_zp) * in_scale, in_scale, in_zp
        layer_of_row = np.repeat(np.arange(len(shapes)), [cout for cout, _ in shapes])

        mlp = []
        widths = (*spec.hidden, spec.d_latent)
        for k, width in enumerate(widths):
            last = k == len(widths) - 1
            fc, x = self._fc(x, scale, zp, width, act=Act.NONE if last else Act.RELU)
            scale, zp = fc.out_scale, fc.out_zp
            mlp.append(fc)
        heads = []
        for cin in fan_ins:
            layers = [g for g, (_, c) in enumerate(shapes) if c == cin]
            fc, _ = self._fc(x[np.isin(layer_of_row, layers)], scale, zp, cin,
                             act=Act.NONE, symmetric=True)
            heads.append(fc)
        self.generator = Generator(spec.d_code, in_scale, in_zp, embeddings, mlp, heads)
        self.kernels = [synthesize_layer(self.generator, code, self.head_of(cin), cout)
                        for code, (cout, cin) in zip(self.codes, shapes)]

    def head_of(self, fan_in: int) -> int:
        return self._head_index[fan_in]

    def _fc(self, x: np.ndarray, in_scale: float, in_zp: int, width: int, act: Act,
            symmetric: bool = False) -> tuple[FC, np.ndarray]:
        fan_in = x.shape[1]
        gain = np.sqrt(2.0 / fan_in) if act == Act.RELU else np.sqrt(1.0 / fan_in)
        w = self.rng.normal(0.0, gain, (width, fan_in))
        bias = self.rng.normal(0.0, 0.1, width)
        if act == Act.NONE:           # linear layers learn to centre their outputs
            bias -= (x @ w.T).mean(axis=0)
        w_scale = cal.symmetric_scale(w)
        w_q = cal.quantize(w, w_scale, 0, -127, 127)
        b_q = cal.quantize_bias(bias, in_scale, [w_scale])
        acc = float(np.float32(in_scale) * np.float32(w_scale))
        y = _apply_act(act, x @ (w_q.astype(np.float64) * w_scale).T + b_q * acc)
        if symmetric:
            out_scale, out_zp = cal.symmetric_scale(y, cal.RANGE_PERCENTILE), 0
        else:
            out_scale, out_zp = cal.activation_qparams(y)
        lo, hi = quant.activation_range(_ACT_NAME[act], out_scale, out_zp)
        mult, shift = quant.fc_requant(in_scale, w_scale, out_scale)
        fc = FC(w_q, b_q, mult, shift, in_zp, out_zp, lo, hi, w_scale, out_scale)
        return fc, cal.fake_quant(y, out_scale, out_zp, lo, hi)


__all__ = ["EXAMPLES", "BUNDLED", "Architecture", "Block", "GeneratorSpec", "build_example",
           "bundled_model_path", "example_names", "store_generated"]
