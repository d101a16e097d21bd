"""Read and validate a model.bin (format 1.0) into a :class:`~mcusim.model.Model`.

Validation happens once, here, in the order of docs/format.md ("Validation
rules"): the container (header, CRC, section table, layout), then the records
of each section, then the arrays they reference, then the meaning
(:mod:`mcusim.format.validate`: graph, shapes, generator, memory plans).
Every failure is one :class:`~mcusim.errors.FormatError` naming what is wrong
and where (``offset``, ``section``). Nothing is read before its bounds are
checked, and every count is bounded before it is looped over.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import FormatError
from . import spec, validate
from .container import read_container
from .layout import Locator, fail, hexoff
from .read_sections import read_codes, read_generator, read_plans
from .spec import MAX_LAYERS, MAX_TENSORS, NONE16, Act, DType, Op, Padding, SectionKind
from .view import FileView

_LAYER_SECTIONS = (SectionKind.BACKBONE, SectionKind.PW1)
_SECTION_CATEGORY = {SectionKind.BACKBONE: "backbone", SectionKind.PW1: "pw1",
                     SectionKind.CODES: "codes"}


def load_model(path) -> "Model":  # noqa: F821
    """Read and validate the model file at `path`; every failure is a FormatError."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise FormatError(f"cannot read the model file: {e.strerror or e}", path=str(path)) from None
    return read_model(data, path=str(path))


def read_model(data: bytes, path: str | None = None) -> "Model":  # noqa: F821
    """Validate `data` against every rule of docs/format.md and return the Model."""
    try:
        return _Reader(bytes(data)).read()
    except FormatError as e:
        if path is not None:
            raise e.with_path(str(path)) from None
        raise


def read_with_layout(data: bytes) -> tuple["Model", Locator]:  # noqa: F821
    """read_model, also returning where the sections are (for the byte accounting)."""
    reader = _Reader(bytes(data))
    return reader.read(), reader.loc


class _Reader(FileView):
    """Model info, tensors and layers (rules M, T, L, G, A); the other sections are
    read by :mod:`mcusim.format.read_sections`."""

    def __init__(self, data: bytes):
        super().__init__(data, read_container(data))

    def read(self):
        from ..model import Model
        loc = self.loc
        info_sec = self.section(SectionKind.MODEL_INFO)
        info = self.fixed_records(SectionKind.MODEL_INFO, spec.MODEL_INFO, 1)[0]
        at, sec = info_sec.offset, "model_info"
        where = f"model info at offset {hexoff(at)}"
        n_tensors, n_layers = int(info["n_tensors"]), int(info["n_layers"])
        n_generated = int(info["n_generated"])
        if not 1 <= n_tensors <= MAX_TENSORS:
            fail(f"{where}: n_tensors {n_tensors} is out of range (1..{MAX_TENSORS})", at, sec)
        if not 1 <= n_layers <= MAX_LAYERS:
            fail(f"{where}: n_layers {n_layers} is out of range (1..{MAX_LAYERS})", at, sec)
        if n_generated > n_layers:
            fail(f"{where}: n_generated {n_generated} exceeds n_layers {n_layers}", at, sec)
        self.zero(info, ("reserved0", "reserved1"), where, at, sec)
        io = {}
        for key in ("input_tensor", "output_tensor", "class_tensor"):
            io[key] = int(info[key])
            if io[key] >= n_tensors:
                fail(f"{where}: {key} {io[key]} is out of range (the model has {n_tensors} tensors)",
                     at, sec)
        model_name = self.name(at, spec.MODEL_NAME_LEN, "model name", sec)
        has_gen, has_heads = loc.has(SectionKind.GENERATOR), loc.has(SectionKind.HEADS)
        if has_gen != has_heads:
            here, other = ("generator", "heads") if has_gen else ("heads", "generator")
            s = self.section(SectionKind.GENERATOR if has_gen else SectionKind.HEADS)
            fail(f"{s.describe()} without section '{other}' (they come together)",
                 s.offset, here)
        for kind in (SectionKind.CODES, SectionKind.GENERATOR):
            if n_generated and not loc.has(kind):
                fail(f"{where}: missing section '{kind.name.lower()}' (the model has "
                     f"{n_generated} generated layers)", at, sec)
        if not n_generated and loc.has(SectionKind.CODES):
            s = self.section(SectionKind.CODES)
            fail(f"unexpected {s.describe()}: the model has no generated layers", s.offset, s.name)

        tensors = self.tensors(n_tensors)
        if int(info["n_classes"]) != tensors[io["output_tensor"]].channels:
            fail(f"{where}: n_classes {int(info['n_classes'])} does not match the "
                 f"{tensors[io['output_tensor']].channels} channels of the output tensor", at, sec)
        raw_layers = self.fixed_records(SectionKind.LAYERS, spec.LAYER, n_layers)
        layers = [self.layer_record(i, rec, tensors, n_generated) for i, rec in enumerate(raw_layers)]
        model = Model(name=model_name, sample_rate_hz=int(info["sample_rate_hz"]), tensors=tensors,
                      layers=layers, input_tensor=io["input_tensor"],
                      output_tensor=io["output_tensor"], class_tensor=io["class_tensor"])
        validate.check_graph(model, loc)
        for i, rec in enumerate(raw_layers):
            self.layer_arrays(model, i, rec)
        if loc.has(SectionKind.GENERATOR):
            model.generator = read_generator(self)
            validate.check_generator_chain(model.generator, loc)
        if n_generated:
            model.generated = read_codes(self, model, n_generated)
            validate.check_generated(model, loc)
        model.plans, entries_at = read_plans(self, model)
        for mode, plan in model.plans.items():
            validate.check_plan(model, mode, plan, loc, entries_at[mode])
        return model

    def tensors(self, count: int):
        from ..model import Tensor
        out = []
        for t, rec in enumerate(self.fixed_records(SectionKind.TENSORS, spec.TENSOR, count)):
            at = self.loc.record(SectionKind.TENSORS, t)
            what = f"tensor {t} at offset {hexoff(at)}"
            code = int(rec["dtype"])
            if code not in (DType.INT8, DType.INT32):
                fail(f"{what}: unknown dtype code {code}", at, "tensors")
            dtype = DType(code)
            self.zero(rec, ("reserved",), what, at, "tensors")
            length, channels, zp = int(rec["length"]), int(rec["channels"]), int(rec["zero_point"])
            if length < 1 or channels < 1:
                fail(f"{what}: shape [{length}, {channels}] has a zero dimension", at, "tensors")
            if length * channels * spec.DTYPE_SIZE[dtype] > 0x7FFF_FFFF:
                fail(f"{what}: shape [{length}, {channels}] is larger than 2 GiB", at, "tensors")
            if dtype == DType.INT8 and not -128 <= zp <= 127:
                fail(f"{what}: zero point {zp} is outside int8 (-128..127)", at, "tensors")
            if dtype == DType.INT32 and zp != 0:
                fail(f"{what}: int32 tensors have zero point 0, not {zp}", at, "tensors")
            scale = self.finite(rec["scale"], f"{what}: scale", at, "tensors",
                                positive=dtype == DType.INT8)
            out.append(Tensor(length, channels, scale, zp, dtype))
        return out

    def layer_record(self, i: int, rec: np.void, tensors, n_generated: int):
        """A Layer from its record (arrays come later), with its codes and references checked."""
        from ..model import Layer
        at = self.loc.record(SectionKind.LAYERS, i)
        name = self.name(at + spec.LAYER.fields["name"][1], spec.NAME_LEN, f"layer {i} name",
                         "layers")
        what = f"layer {i} '{name}' at offset {hexoff(at)}"
        for key, enum in (("op", Op), ("padding", Padding), ("act", Act)):
            code = int(rec[key])
            if code not in {int(v) for v in enum}:
                fail(f"{what}: unknown {key} code {code}", at, "layers")
        op = Op(int(rec["op"]))
        self.zero(rec, ("reserved",), what, at, "layers")
        flags, gen_index = int(rec["flags"]), int(rec["gen_index"])
        if flags & ~spec.LAYER_GENERATED:
            fail(f"{what}: unknown layer flags 0x{flags:x}", at, "layers")
        generated = None
        if flags & spec.LAYER_GENERATED:
            if op != Op.PW_CONV:
                fail(f"{what}: only pw_conv layers can be generated, this is {op.name.lower()}",
                     at, "layers")
            if gen_index >= n_generated:
                fail(f"{what}: generated index {gen_index} is out of range (the model has "
                     f"{n_generated} generated layers)", at, "layers")
            generated = gen_index
        elif gen_index != NONE16:
            fail(f"{what}: gen_index {gen_index} on a stored layer (expected 0xffff)", at, "layers")
        n = len(tensors)
        in0, in1, out = int(rec["in0"]), int(rec["in1"]), int(rec["out"])
        for key, t in (("input", in0), ("output", out)):
            if t >= n:
                fail(f"{what}: {key} tensor {t} is out of range (the model has {n} tensors)",
                     at, "layers")
        if op == Op.ADD:
            if in1 >= n:
                fail(f"{what}: second input tensor {in1} is out of range (the model has {n} "
                     f"tensors)", at, "layers")
            inputs = (in0, in1)
        else:
            if in1 != NONE16:
                fail(f"{what}: {op.name.lower()} has one input, in1 must be 0xffff (got {in1})",
                     at, "layers")
            inputs = (in0,)
        for key in ("kernel", "stride", "dilation"):
            if int(rec[key]) < 1:
                fail(f"{what}: {key} must be at least 1 (got {int(rec[key])})", at, "layers")
        act_min, act_max = int(rec["act_min"]), int(rec["act_max"])
        if act_min > act_max:
            fail(f"{what}: act_min {act_min} > act_max {act_max}", at, "layers")
        return Layer(name=name, op=op, inputs=inputs, output=out, kernel=int(rec["kernel"]),
                     stride=int(rec["stride"]), dilation=int(rec["dilation"]),
                     padding=Padding(int(rec["padding"])), act=Act(int(rec["act"])),
                     act_min=act_min, act_max=act_max, generated=generated)

    def layer_arrays(self, model, i: int, rec: np.void) -> None:
        layer = model.layers[i]
        at = self.loc.record(SectionKind.LAYERS, i)
        what = f"layer {i} '{layer.name}' at offset {hexoff(at)}"
        shape = model.layer_weight_shape(i)
        cout = model.tensors[layer.output].channels
        n_q = int(rec["n_q"])
        expected = validate.expected_n_q(layer.op, cout)
        if n_q != expected:
            fail(f"{what}: n_q is {n_q}, a {layer.op.name.lower()} layer with {cout} output "
                 f"channels has {expected}", at, "layers")
        kinds = (SectionKind.CODES,) if layer.is_generated else _LAYER_SECTIONS
        w_off, w_len = int(rec["w_off"]), int(rec["w_len"])
        stored = shape is not None and not layer.is_generated
        if not stored and (w_off or w_len):
            fail(f"{what}: {'a generated' if layer.is_generated else 'this'} "
                 f"{layer.op.name.lower()} layer stores no weights (w_off and w_len must be 0)",
                 at, "layers")
        homes = []
        if stored:
            need = math.prod(shape)
            if w_len != need:
                fail(f"{what}: weights hold {w_len} bytes, expected {need} for shape "
                     f"{list(shape)}", at, "layers")
            w, s = self.array(w_off, need, "<i1", kinds, f"{what}: weights", at, "layers")
            layer.weights = w.reshape(shape)
            homes.append(s)
        bias, s = self.array(int(rec["b_off"]), cout if shape is not None else 0, "<i4", kinds,
                             f"{what}: bias", at, "layers", required=False)
        layer.bias = bias
        homes.append(s)
        mult, s1 = self.array(int(rec["mult_off"]), n_q, "<i4", kinds, f"{what}: multipliers",
                              at, "layers")
        shift, s2 = self.array(int(rec["shift_off"]), n_q, "<i1", kinds, f"{what}: shifts",
                               at, "layers")
        homes += [s1, s2]
        wscale, _ = self.array(int(rec["wscale_off"]), n_q if shape is not None else 0, "<f4",
                               (SectionKind.SCALES,), f"{what}: weight scales", at, "layers",
                               required=False)
        homes = {h.kind for h in homes if h is not None}
        if len(homes) > 1:
            names = " and ".join(sorted(f"'{k.name.lower()}'" for k in homes))
            fail(f"{what}: arrays are split between sections {names} (a layer's arrays live in "
                 f"one section, its category)", at, "layers")
        layer.category = _SECTION_CATEGORY[homes.pop()] if homes else "backbone"
        if n_q:
            validate.check_requant(mult, shift, f"{what}", at, "layers")
            layer.mult, layer.shift = mult, shift.astype(np.int32)
        if wscale is not None:
            for v in wscale:
                self.finite(v, f"{what}: weight scale", at, "layers")
            layer.weight_scales = wscale


__all__ = ["read_model", "load_model", "read_with_layout"]
