"""Hand-made, valid `Model` objects with random but consistent arrays, for tests.

    tiny_model(seed)   stem conv, kept PW1, DW, two generated PW layers of different
                       fan-in (16 and 24), a stored PW, residual ADD, max/avg/global
                       pools, FC, ARGMAX; generator with 2 micro-MLP layers, 2 heads
    plain_model(seed)  a small all-INT8 CNN without generator

Values are random; shapes, quantization chains and memory plans are consistent,
so the packed file passes every rule of docs/format.md.
"""

from __future__ import annotations

import numpy as np

from mcusim.format.spec import Act, DType, Op, Padding
from mcusim.model import FC, GeneratedLayer, Generator, Layer, Model, Tensor
from mcusim.plan import plan_memory


class _Builder:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.tensors: list[Tensor] = []
        self.layers: list[Layer] = []

    def tensor(self, length: int, channels: int, like: int | None = None) -> int:
        if like is not None:
            src = self.tensors[like]
            self.tensors.append(Tensor(length, channels, src.scale, src.zero_point))
        else:
            self.tensors.append(Tensor(length, channels, float(self.rng.uniform(0.01, 0.2)),
                                       int(self.rng.integers(-128, 128))))
        return len(self.tensors) - 1

    def requant(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        mult = self.rng.integers(2 ** 30, 2 ** 31 - 1, size=n, dtype=np.int64).astype(np.int32)
        shift = self.rng.integers(-12, 1, size=n).astype(np.int32)
        return mult, shift

    def weights(self, *shape: int) -> np.ndarray:
        return self.rng.integers(-127, 128, size=shape).astype(np.int8)

    def bias(self, n: int) -> np.ndarray:
        return self.rng.integers(-5000, 5000, size=n).astype(np.int32)

    def scales(self, n: int) -> np.ndarray:
        return self.rng.uniform(0.001, 0.05, size=n).astype(np.float32)

    def add_layer(self, name: str, op: Op, inputs: tuple[int, ...], output: int, *,
                  weighted: bool = True, n_q: int | None = None, generated: int | None = None,
                  category: str = "backbone", relu: bool = False, **kw) -> None:
        out = self.tensors[output]
        layer = Layer(name=name, op=op, inputs=inputs, output=output, generated=generated,
                      category=category, **kw)
        if relu:
            layer.act, layer.act_min = Act.RELU, max(-128, out.zero_point)
        if weighted:
            cin = self.tensors[inputs[0]].channels
            shape = {Op.CONV: (out.channels, layer.kernel, cin), Op.DW_CONV: (layer.kernel, cin),
                     Op.PW_CONV: (out.channels, cin), Op.FULLY_CONNECTED: (out.channels, cin)}[op]
            if generated is None:
                layer.weights = self.weights(*shape)
            layer.bias = self.bias(out.channels)
            n_q = out.channels if op != Op.FULLY_CONNECTED else 1
            layer.weight_scales = self.scales(n_q)
        if n_q:
            layer.mult, layer.shift = self.requant(n_q)
        self.layers.append(layer)

    def argmax(self, logits: int) -> int:
        """Append the [1, 1] int32 class tensor and the ARGMAX layer producing it."""
        classes = len(self.tensors)
        self.tensors.append(Tensor(1, 1, 0.0, 0, DType.INT32))
        self.add_layer("argmax", Op.ARGMAX, (logits,), classes, weighted=False)
        return classes

    def fc(self, n_in: int, n_out: int, in_zp: int, out_zp: int | None = None,
           relu: bool = False) -> FC:
        out_zp = int(self.rng.integers(-128, 128)) if out_zp is None else out_zp
        mult, shift = self.requant(1)
        return FC(weights=self.weights(n_out, n_in), bias=self.bias(n_out), mult=int(mult[0]),
                  shift=int(shift[0]), in_zp=in_zp, out_zp=out_zp,
                  act_min=out_zp if relu else -128, act_max=127,
                  w_scale=float(self.rng.uniform(0.001, 0.05)),
                  out_scale=float(self.rng.uniform(0.01, 0.2)))


def tiny_model(seed: int = 0, length: int = 64) -> Model:
    """The small HyperTinyPW-style model used throughout the format tests."""
    b = _Builder(seed)
    x = b.tensor(length, 1)
    t1 = b.tensor(length // 2, 8)
    b.add_layer("stem", Op.CONV, (x,), t1, kernel=5, stride=2, padding=Padding.SAME, relu=True)
    t2 = b.tensor(length // 2, 16)
    b.add_layer("pw1", Op.PW_CONV, (t1,), t2, category="pw1", relu=True)
    t3 = b.tensor(length // 2, 16)
    b.add_layer("dw2", Op.DW_CONV, (t2,), t3, kernel=3, padding=Padding.SAME, relu=True)
    t4 = b.tensor(length // 2, 16)
    b.add_layer("pw2", Op.PW_CONV, (t3,), t4, generated=0, category="codes")
    t5 = b.tensor(length // 2, 16)
    b.add_layer("add2", Op.ADD, (t2, t4), t5, weighted=False, n_q=3)
    t6 = b.tensor(length // 4, 16, like=t5)
    b.add_layer("pool2", Op.MAX_POOL, (t5,), t6, weighted=False, kernel=2, stride=2)
    t7 = b.tensor(length // 4, 24)
    b.add_layer("pw3", Op.PW_CONV, (t6,), t7, relu=True)
    t8 = b.tensor(length // 4 - 4, 24)
    b.add_layer("dw4", Op.DW_CONV, (t7,), t8, kernel=3, dilation=2, relu=True)
    t9 = b.tensor(length // 4 - 4, 32)
    b.add_layer("pw4", Op.PW_CONV, (t8,), t9, generated=1, category="codes", relu=True)
    t10 = b.tensor(-(-(length // 4 - 4) // 2), 32, like=t9)
    b.add_layer("pool4", Op.AVG_POOL, (t9,), t10, weighted=False, kernel=2, stride=2,
                padding=Padding.SAME)
    t11 = b.tensor(1, 32, like=t10)
    b.add_layer("gap", Op.GLOBAL_AVG_POOL, (t10,), t11, weighted=False)
    t12 = b.tensor(1, 4)
    b.add_layer("fc", Op.FULLY_CONNECTED, (t11,), t12)
    t13 = b.argmax(t12)

    in_zp = int(b.rng.integers(-128, 128))
    h1 = b.fc(16, 32, in_zp, relu=True)
    latent = b.fc(32, 24, h1.out_zp)
    heads = [b.fc(24, 16, latent.out_zp, out_zp=0), b.fc(24, 24, latent.out_zp, out_zp=0)]
    gen = Generator(d_code=8, in_scale=0.05, in_zp=in_zp, embeddings=b.weights(32, 8),
                    mlp=[h1, latent], heads=heads)
    generated = [GeneratedLayer(layer=3, head=0, code=b.weights(8)),
                 GeneratedLayer(layer=8, head=1, code=b.weights(8))]
    model = Model(name=f"tiny-{seed}", sample_rate_hz=360, tensors=b.tensors, layers=b.layers,
                  input_tensor=x, output_tensor=t12, class_tensor=t13, generator=gen,
                  generated=generated)
    model.plans = plan_memory(model)
    return model


def plain_model(seed: int = 0, length: int = 32) -> Model:
    """A small all-INT8 CNN: conv, PW, global pool, FC, argmax; no generator."""
    b = _Builder(seed)
    x = b.tensor(length, 2)
    t1 = b.tensor(length - 2, 8)
    b.add_layer("conv", Op.CONV, (x,), t1, kernel=3, relu=True)
    t2 = b.tensor(length - 2, 12)
    b.add_layer("pw", Op.PW_CONV, (t1,), t2, category="pw1", relu=True)
    t3 = b.tensor(1, 12, like=t2)
    b.add_layer("gap", Op.GLOBAL_AVG_POOL, (t2,), t3, weighted=False)
    t4 = b.tensor(1, 3)
    b.add_layer("fc", Op.FULLY_CONNECTED, (t3,), t4)
    t5 = b.argmax(t4)
    model = Model(name=f"plain-{seed}", sample_rate_hz=250, tensors=b.tensors, layers=b.layers,
                  input_tensor=x, output_tensor=t4, class_tensor=t5)
    model.plans = plan_memory(model)
    return model
