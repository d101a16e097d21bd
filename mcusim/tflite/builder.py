"""Build int8 ``.tflite`` graphs from mcusim-layout layers, tensor and op by name.

A thin layer over tflite-micro's ``model_editor``. Every tensor has a unique
name; layer methods take the names of their inputs, create their weight, bias
and output tensors, and return the output's name, so a whole network is a
sequence of calls::

    g = GraphBuilder()
    x = g.input("x", length=128, channels=1, scale=0.02, zero_point=0)
    h = g.conv1d("conv0", x, w0, b0, w0_scales, out_scale=0.05, out_zp=-3,
                 stride=2, padding="same", activation="relu")
    h = g.global_avg_pool("gap", h)
    y = g.fully_connected("fc", h, w1, b1, w1_scale, out_scale=0.1, out_zp=4)
    g.output(y)
    model_bytes = g.build()

Layouts follow :mod:`mcusim.reference.ops` on the mcusim side and TFLite's
NHWC with H = 1 on the file side (``docs/semantics.md``, "TFLite mapping"):

==================  ======================  =========================  ==========
mcusim layer        mcusim weights          TFLite weights             quant axis
==================  ======================  =========================  ==========
conv1d              ``[Cout, K, Cin]``      ``[Cout, 1, K, Cin]``      0
pointwise_conv1d    ``[Cout, Cin]``         ``[Cout, 1, 1, Cin]``      0
depthwise_conv1d    ``[K, C]``              ``[1, 1, K, C]``           3
fully_connected     ``[out, in]``           ``[out, in]``              per-tensor
==================  ======================  =========================  ==========

Activations are ``[1, 1, T, C]``; FULLY_CONNECTED outputs are ``[rows, out]``.
Bias scales are written as ``float32(input_scale * weight_scale)`` so that
TFLM's bias-scale check passes. Misuse (unknown or duplicate names, shape or
dtype mismatches) raises :class:`ValueError` at build time, never later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

try:
    from tflite_micro.tensorflow.lite.micro.compression import model_editor as _me
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as _fb
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "mcusim.tflite needs the 'tflite-micro' package (pip install tflite-micro)"
    ) from exc

from mcusim.reference.ops import PADDINGS, out_length
from mcusim.reference.quant import ACTIVATIONS

_DTYPES = {
    np.dtype(np.int8): _fb.TensorType.INT8,
    np.dtype(np.int32): _fb.TensorType.INT32,
}
_ACTIVATION = {
    "none": _fb.ActivationFunctionType.NONE,
    "relu": _fb.ActivationFunctionType.RELU,
    "relu6": _fb.ActivationFunctionType.RELU6,
}
_PADDING = {"same": _fb.Padding.SAME, "valid": _fb.Padding.VALID}


@dataclass(frozen=True)
class TensorInfo:
    """What the builder knows about a named tensor."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    scales: tuple[float, ...] | None  # None: not quantized
    zero_point: int

    @property
    def scale(self) -> float:
        """The per-tensor scale (first scale of a per-channel tensor)."""
        if not self.scales:
            raise ValueError(f"tensor {self.name!r} is not quantized")
        return self.scales[0]


class GraphBuilder:
    """Accumulates tensors and operators of one subgraph; :meth:`build` emits bytes."""

    def __init__(self, description: str = "mcusim") -> None:
        self._description = description
        self._tensors: dict[str, _me.Tensor] = {}
        self._info: dict[str, TensorInfo] = {}
        self._operators: list[_me.Operator] = []
        self._inputs: list[str] = []
        self._outputs: list[str] = []

    # ------------------------------------------------------------------
    # Tensors
    # ------------------------------------------------------------------

    def info(self, name: str) -> TensorInfo:
        """Shape, dtype and quantization of tensor ``name``."""
        try:
            return self._info[name]
        except KeyError:
            raise ValueError(f"no tensor named {name!r}") from None

    def tensor(self, name: str, shape, *, dtype=np.int8, scales=None,
               zero_points=0, axis: int | None = None, data: np.ndarray | None = None) -> str:
        """Add a tensor (a constant when ``data`` is given); returns ``name``.

        ``scales``/``zero_points`` may be scalars (per-tensor) or sequences
        (per-channel along ``axis``); ``scales=None`` leaves it unquantized.
        """
        if name in self._tensors:
            raise ValueError(f"duplicate tensor name {name!r}")
        dtype = np.dtype(dtype)
        if dtype not in _DTYPES:
            raise ValueError(f"unsupported dtype {dtype} for tensor {name!r}")
        shape = tuple(int(d) for d in shape)
        quant = None
        scale_tuple = None
        zp0 = 0
        if scales is not None:
            scale_list = [float(np.float32(s)) for s in np.atleast_1d(scales)]
            zp_list = [int(z) for z in np.atleast_1d(zero_points)]
            if len(zp_list) == 1 and len(scale_list) > 1:
                zp_list = zp_list * len(scale_list)
            if len(scale_list) > 1 and axis is None:
                raise ValueError(f"per-channel tensor {name!r} needs an axis")
            quant = _me.Quantization(scale_list if len(scale_list) > 1 else scale_list[0],
                                     zp_list if len(zp_list) > 1 else zp_list[0], axis=axis)
            scale_tuple, zp0 = tuple(scale_list), zp_list[0]
        array = None
        if data is not None:
            array = np.ascontiguousarray(data, dtype=dtype)
            if array.shape != shape:
                raise ValueError(f"tensor {name!r}: data shape {array.shape} != {shape}")
        self._tensors[name] = _me.Tensor(shape=shape, dtype=_DTYPES[dtype], data=array,
                                         quantization=quant, name=name)
        self._info[name] = TensorInfo(name, shape, dtype, scale_tuple, zp0)
        return name

    def input(self, name: str, *, length: int | None = None, channels: int | None = None,
              shape=None, scale: float, zero_point: int) -> str:
        """Add a graph input: int8 ``[1, 1, length, channels]``, or ``shape`` if given."""
        if shape is None:
            shape = (1, 1, length, channels)
        self.tensor(name, shape, scales=scale, zero_points=zero_point)
        self._inputs.append(name)
        return name

    def output(self, name: str) -> str:
        """Mark tensor ``name`` as a graph output (in call order)."""
        self.info(name)
        self._outputs.append(name)
        return name

    # ------------------------------------------------------------------
    # Operators
    # ------------------------------------------------------------------

    def operator(self, opcode: int, inputs, outputs, *,
                 options=None, options_type: int | None = None) -> None:
        """Add a builtin operator over named tensors (``None`` for an absent input)."""
        ins = [None if n is None else self._lookup(n) for n in inputs]
        outs = [self._lookup(n) for n in outputs]
        op = _me.Operator(opcode=opcode, inputs=ins, outputs=outs)
        if options is not None:
            op._fb.builtinOptionsType = options_type
            op._fb.builtinOptions = options
        self._operators.append(op)

    def _lookup(self, name: str) -> _me.Tensor:
        self.info(name)
        return self._tensors[name]

    def _activation_input(self, x: str) -> tuple[int, int, TensorInfo]:
        info = self.info(x)
        if info.dtype != np.int8 or len(info.shape) != 4 or info.shape[:2] != (1, 1):
            raise ValueError(f"{x!r} must be an int8 [1, 1, T, C] tensor, got {info.shape}")
        return info.shape[2], info.shape[3], info

    @staticmethod
    def _check_activation(activation: str) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")

    @classmethod
    def _check_options(cls, padding: str, activation: str) -> None:
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
        cls._check_activation(activation)

    def _weights_and_bias(self, name, w_tflite, bias, weight_scales, axis, in_scale):
        scales = np.atleast_1d(np.asarray(weight_scales, dtype=np.float32))
        channels = w_tflite.shape[axis]
        if scales.shape[0] not in (1, channels):
            raise ValueError(f"{name}: {scales.shape[0]} weight scales for {channels} channels")
        bias = np.asarray(bias)
        if bias.shape != (channels,):
            raise ValueError(f"{name}: bias shape {bias.shape}, expected ({channels},)")
        w_name = self.tensor(f"{name}/weights", w_tflite.shape, data=w_tflite, scales=scales,
                             zero_points=[0] * scales.shape[0], axis=axis)
        bias_scales = np.float32(in_scale) * scales.astype(np.float64)
        b_name = self.tensor(f"{name}/bias", (channels,), dtype=np.int32, data=bias,
                             scales=bias_scales, zero_points=[0] * scales.shape[0], axis=0)
        return w_name, b_name

    def conv1d(self, name: str, x: str, w, bias, weight_scales, out_scale: float, out_zp: int,
               *, stride: int = 1, dilation: int = 1, padding: str = "same",
               activation: str = "none") -> str:
        """CONV_2D with a 1 x K filter; ``w`` int8 ``[Cout, K, Cin]`` (mcusim layout)."""
        self._check_options(padding, activation)
        length, c_in, info = self._activation_input(x)
        w = np.asarray(w, dtype=np.int8)
        c_out, kernel, w_cin = w.shape
        if w_cin != c_in:
            raise ValueError(f"{name}: weights expect {w_cin} input channels, {x!r} has {c_in}")
        w_name, b_name = self._weights_and_bias(name, w[:, None, :, :], bias, weight_scales,
                                                0, info.scale)
        t_out = out_length(length, kernel, stride, dilation, padding)
        self.tensor(name, (1, 1, t_out, c_out), scales=out_scale, zero_points=out_zp)
        opt = _fb.Conv2DOptionsT()
        opt.padding = _PADDING[padding]
        opt.strideW, opt.strideH = stride, 1
        opt.dilationWFactor, opt.dilationHFactor = dilation, 1
        opt.fusedActivationFunction = _ACTIVATION[activation]
        self.operator(_fb.BuiltinOperator.CONV_2D, [x, w_name, b_name], [name],
                      options=opt, options_type=_fb.BuiltinOptions.Conv2DOptions)
        return name

    def pointwise_conv1d(self, name: str, x: str, w, bias, weight_scales, out_scale: float,
                         out_zp: int, *, activation: str = "none") -> str:
        """CONV_2D with a 1x1 filter; ``w`` int8 ``[Cout, Cin]``."""
        w = np.asarray(w, dtype=np.int8)
        return self.conv1d(name, x, w[:, None, :], bias, weight_scales, out_scale, out_zp,
                           stride=1, dilation=1, padding="valid", activation=activation)

    def depthwise_conv1d(self, name: str, x: str, w, bias, weight_scales, out_scale: float,
                         out_zp: int, *, stride: int = 1, dilation: int = 1,
                         padding: str = "same", activation: str = "none") -> str:
        """DEPTHWISE_CONV_2D, depth multiplier 1; ``w`` int8 ``[K, C]``."""
        self._check_options(padding, activation)
        length, channels, info = self._activation_input(x)
        w = np.asarray(w, dtype=np.int8)
        kernel, w_c = w.shape
        if w_c != channels:
            raise ValueError(f"{name}: weights have {w_c} channels, {x!r} has {channels}")
        w_name, b_name = self._weights_and_bias(name, w[None, None, :, :], bias, weight_scales,
                                                3, info.scale)
        t_out = out_length(length, kernel, stride, dilation, padding)
        self.tensor(name, (1, 1, t_out, channels), scales=out_scale, zero_points=out_zp)
        opt = _fb.DepthwiseConv2DOptionsT()
        opt.padding = _PADDING[padding]
        opt.strideW, opt.strideH = stride, 1
        opt.dilationWFactor, opt.dilationHFactor = dilation, 1
        opt.depthMultiplier = 1
        opt.fusedActivationFunction = _ACTIVATION[activation]
        self.operator(_fb.BuiltinOperator.DEPTHWISE_CONV_2D, [x, w_name, b_name], [name],
                      options=opt, options_type=_fb.BuiltinOptions.DepthwiseConv2DOptions)
        return name

    def fully_connected(self, name: str, x: str, w, bias, weight_scale: float,
                        out_scale: float, out_zp: int, *, activation: str = "none") -> str:
        """FULLY_CONNECTED, per-tensor weight scale; ``w`` int8 ``[out, in]``.

        ``x`` may have any shape whose size is a multiple of ``in``; it is read
        as ``[rows, in]`` and the output is ``[rows, out]``.
        """
        self._check_activation(activation)
        info = self.info(x)
        w = np.asarray(w, dtype=np.int8)
        n_out, n_in = w.shape
        size = int(np.prod(info.shape))
        if info.dtype != np.int8 or size % n_in:
            raise ValueError(f"{name}: {x!r} {info.shape} is not int8 rows of {n_in}")
        w_name = self.tensor(f"{name}/weights", w.shape, data=w, scales=weight_scale,
                             zero_points=0)
        bias_scale = float(np.float32(info.scale)) * float(np.float32(weight_scale))
        b_name = self.tensor(f"{name}/bias", (n_out,), dtype=np.int32, data=np.asarray(bias),
                             scales=bias_scale, zero_points=0)
        self.tensor(name, (size // n_in, n_out), scales=out_scale, zero_points=out_zp)
        opt = _fb.FullyConnectedOptionsT()
        opt.fusedActivationFunction = _ACTIVATION[activation]
        opt.keepNumDims = False
        self.operator(_fb.BuiltinOperator.FULLY_CONNECTED, [x, w_name, b_name], [name],
                      options=opt, options_type=_fb.BuiltinOptions.FullyConnectedOptions)
        return name

    def _pool(self, opcode, name, x, kernel, stride, padding, activation) -> str:
        self._check_options(padding, activation)
        length, channels, info = self._activation_input(x)
        t_out = out_length(length, kernel, stride, 1, padding)
        # TFLM requires pooling input and output to share scale and zero point.
        self.tensor(name, (1, 1, t_out, channels), scales=info.scale,
                    zero_points=info.zero_point)
        opt = _fb.Pool2DOptionsT()
        opt.padding = _PADDING[padding]
        opt.strideW, opt.strideH = stride, 1
        opt.filterWidth, opt.filterHeight = kernel, 1
        opt.fusedActivationFunction = _ACTIVATION[activation]
        self.operator(opcode, [x], [name], options=opt,
                      options_type=_fb.BuiltinOptions.Pool2DOptions)
        return name

    def avg_pool1d(self, name: str, x: str, kernel: int, stride: int, padding: str = "valid",
                   *, activation: str = "none") -> str:
        """AVERAGE_POOL_2D with a 1 x kernel window; output shares ``x``'s quantization."""
        return self._pool(_fb.BuiltinOperator.AVERAGE_POOL_2D, name, x, kernel, stride,
                          padding, activation)

    def max_pool1d(self, name: str, x: str, kernel: int, stride: int, padding: str = "valid",
                   *, activation: str = "none") -> str:
        """MAX_POOL_2D with a 1 x kernel window; output shares ``x``'s quantization."""
        return self._pool(_fb.BuiltinOperator.MAX_POOL_2D, name, x, kernel, stride,
                          padding, activation)

    def global_avg_pool(self, name: str, x: str, *, activation: str = "none") -> str:
        """Mean over time -> ``[1, 1, 1, C]``: AVERAGE_POOL_2D, window = stride = T, valid."""
        length, _, _ = self._activation_input(x)
        return self.avg_pool1d(name, x, length, length, "valid", activation=activation)

    def add(self, name: str, a: str, b: str, out_scale: float, out_zp: int, *,
            activation: str = "none") -> str:
        """ADD of two int8 tensors of the same shape, requantized to ``out_scale``/``out_zp``."""
        self._check_activation(activation)
        ia, ib = self.info(a), self.info(b)
        if ia.shape != ib.shape or ia.dtype != np.int8 or ib.dtype != np.int8:
            raise ValueError(f"{name}: ADD needs int8 tensors of one shape, got "
                             f"{ia.shape} and {ib.shape}")
        self.tensor(name, ia.shape, scales=out_scale, zero_points=out_zp)
        opt = _fb.AddOptionsT()
        opt.fusedActivationFunction = _ACTIVATION[activation]
        self.operator(_fb.BuiltinOperator.ADD, [a, b], [name], options=opt,
                      options_type=_fb.BuiltinOptions.AddOptions)
        return name

    def argmax(self, name: str, x: str) -> str:
        """ARG_MAX over the last axis, int32 output of shape ``x.shape[:-1]``."""
        info = self.info(x)
        axis = self.tensor(f"{name}/axis", (1,), dtype=np.int32,
                           data=np.array([len(info.shape) - 1], dtype=np.int32))
        self.tensor(name, info.shape[:-1], dtype=np.int32)
        opt = _fb.ArgMaxOptionsT()
        opt.outputType = _fb.TensorType.INT32
        self.operator(_fb.BuiltinOperator.ARG_MAX, [x, axis], [name], options=opt,
                      options_type=_fb.BuiltinOptions.ArgMaxOptions)
        return name

    # ------------------------------------------------------------------

    def build(self) -> bytes:
        """The finished ``.tflite`` flatbuffer."""
        if not self._inputs or not self._outputs:
            raise ValueError("a graph needs at least one input and one output")
        subgraph = _me.Subgraph(
            tensors=list(self._tensors.values()),
            operators=list(self._operators),
            inputs=[self._tensors[n] for n in self._inputs],
            outputs=[self._tensors[n] for n in self._outputs],
        )
        model = _me.Model(subgraphs=[subgraph], description=self._description)
        return bytes(model.build())
