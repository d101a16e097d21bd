"""Pack a :class:`~mcusim.model.Model` into the bytes of a model.bin (format 1.0).

The writer checks only that the model *can be represented* (field widths, array
dtypes, lengths the format leaves implicit); whether it makes sense is the
reader's job (:mod:`mcusim.format.validate`), so a test can write a broken
model and watch the reader reject it. The output is deterministic: the same
model always gives the same bytes. Layout rules: docs/format.md.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ..errors import FormatError
from . import spec
from .spec import (ARENA_ALIGN, ARRAY_ALIGN, CRC_OFFSET, HEADER, MAX_FC, MAX_LAYERS, MAX_TENSORS,
                   MODEL_NAME_LEN, NAME_LEN, NONE16, SECTION_ALIGN, SECTION_ENTRY, VERSION_MAJOR,
                   VERSION_MINOR, Mode, SectionKind, align)

U16, U32 = (0, 0xFFFF), (0, 0xFFFF_FFFF)
I8, I16, I32 = (-128, 127), (-32768, 32767), (-(2 ** 31), 2 ** 31 - 1)

# Section of a layer's arrays by its byte category.
LAYER_SECTION = {"backbone": SectionKind.BACKBONE, "pw1": SectionKind.PW1,
                 "codes": SectionKind.CODES}

# Canonical order of the sections in the file.
ORDER = (SectionKind.MODEL_INFO, SectionKind.TENSORS, SectionKind.LAYERS, SectionKind.BACKBONE,
         SectionKind.PW1, SectionKind.GENERATOR, SectionKind.HEADS, SectionKind.CODES,
         SectionKind.SCALES, SectionKind.PLAN)


@dataclass
class _Ref:
    """An array placed in a section, resolved to an absolute offset once bases are known."""
    blob: "_Blob"
    rel: int

    def absolute(self) -> int:
        return self.blob.base + self.rel


@dataclass
class _Blob:
    """One section being built: `head` bytes of records, then 4-aligned arrays."""
    kind: SectionKind
    head: int = 0
    buf: bytearray = field(default_factory=bytearray)
    base: int = 0

    def __post_init__(self) -> None:
        self.buf = bytearray(self.head)

    def add(self, arr: np.ndarray) -> _Ref:
        self.buf += bytes(align(len(self.buf), ARRAY_ALIGN) - len(self.buf))
        ref = _Ref(self, len(self.buf))
        self.buf += arr.tobytes()
        return ref

    def put(self, rel: int, record: np.ndarray) -> None:
        raw = record.tobytes()
        self.buf[rel:rel + len(raw)] = raw


def _abs(ref: _Ref | None) -> int:
    return 0 if ref is None else ref.absolute()


def _check(value: int, bounds: tuple[int, int], what: str) -> int:
    value = int(value)
    lo, hi = bounds
    if not lo <= value <= hi:
        raise FormatError(f"cannot write {what} = {value}: the field holds {lo}..{hi}")
    return value


def _ints(arr, dtype: str, what: str) -> np.ndarray:
    """A flat little-endian integer array, refusing values the dtype cannot hold."""
    a = np.asarray(arr)
    if a.dtype.kind not in "iu":
        raise FormatError(f"cannot write {what}: expected integers, got dtype {a.dtype}")
    info = np.iinfo(np.dtype(dtype))
    if a.size and (int(a.min()) < info.min or int(a.max()) > info.max):
        raise FormatError(f"cannot write {what}: values {int(a.min())}..{int(a.max())} "
                          f"do not fit {np.dtype(dtype).name}")
    return a.astype(dtype).ravel()


def _floats(arr, what: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype.kind not in "fiu":
        raise FormatError(f"cannot write {what}: expected numbers, got dtype {a.dtype}")
    return a.astype("<f4").ravel()


def _name(name: str, size: int, what: str) -> bytes:
    try:
        raw = name.encode("ascii")
    except UnicodeEncodeError:
        raise FormatError(f"cannot write {what} {name!r}: names are ASCII") from None
    if len(raw) > size or b"\0" in raw:
        raise FormatError(f"cannot write {what} {name!r}: at most {size} bytes, no NUL")
    return raw


def _fc_record(fc, what: str, blob: _Blob, refs: list) -> None:
    """Fill an FC_DESC (offsets still to resolve), place its arrays, append to refs."""
    w = np.asarray(fc.weights)
    if w.ndim != 2:
        raise FormatError(f"cannot write {what}: weights must be [out, in], got shape {w.shape}")
    out_f, in_f = (_check(n, U16, f"{what} features") for n in w.shape)
    bias = _ints(fc.bias, "<i4", f"{what} bias")
    if bias.size != out_f:
        raise FormatError(f"cannot write {what}: bias has {bias.size} entries, out_features is {out_f}")
    rec = np.zeros(1, spec.FC_DESC)
    rec["in_features"], rec["out_features"] = in_f, out_f
    rec["mult"] = _check(fc.mult, I32, f"{what} mult")
    rec["shift"] = _check(fc.shift, I8, f"{what} shift")
    rec["act_min"] = _check(fc.act_min, I8, f"{what} act_min")
    rec["act_max"] = _check(fc.act_max, I8, f"{what} act_max")
    rec["in_zp"] = _check(fc.in_zp, I16, f"{what} in_zp")
    rec["out_zp"] = _check(fc.out_zp, I16, f"{what} out_zp")
    rec["w_scale"], rec["out_scale"] = fc.w_scale, fc.out_scale
    refs.append((rec, blob.add(_ints(w, "<i1", f"{what} weights")), blob.add(bias)))


def _pack_generator(model, gen_blob: _Blob, heads_blob: _Blob):
    """Header/records of GENERATOR and HEADS, with array refs to resolve later."""
    gen = model.generator
    emb = np.asarray(gen.embeddings)
    if emb.ndim != 2:
        raise FormatError(f"cannot write the generator: embeddings must be [rows, d_emb], "
                          f"got shape {emb.shape}")
    if not 1 <= len(gen.mlp) <= MAX_FC:
        raise FormatError(f"cannot write the generator: {len(gen.mlp)} micro-MLP layers, "
                          f"the format holds 1..{MAX_FC}")
    _check(len(gen.heads), (1, MAX_LAYERS), "the number of generator heads")
    head = np.zeros(1, spec.GENERATOR_HEADER)
    head["d_code"] = _check(gen.d_code, U16, "generator d_code")
    head["n_emb_rows"] = _check(emb.shape[0], U16, "generator embedding rows")
    head["d_emb"] = _check(emb.shape[1], U16, "generator d_emb")
    head["n_fc"] = len(gen.mlp)
    head["in_zp"] = _check(gen.in_zp, I16, "generator in_zp")
    head["in_scale"] = gen.in_scale
    emb_ref = gen_blob.add(_ints(emb, "<i1", "generator embeddings"))
    fc_refs: list = []
    for i, fc in enumerate(gen.mlp):
        _fc_record(fc, f"generator layer {i}", gen_blob, fc_refs)
    head_refs: list = []
    for h, fc in enumerate(gen.heads):
        _fc_record(fc, f"head {h}", heads_blob, head_refs)

    def finish() -> None:
        head["emb_off"] = emb_ref.absolute()
        gen_blob.put(0, head)
        for i, (rec, w, b) in enumerate(fc_refs):
            rec["w_off"], rec["b_off"] = w.absolute(), b.absolute()
            gen_blob.put(spec.GENERATOR_HEADER.itemsize + i * spec.FC_DESC.itemsize, rec)
        hh = np.zeros(1, spec.HEADS_HEADER)
        hh["n_heads"] = len(head_refs)
        heads_blob.put(0, hh)
        for h, (rec, w, b) in enumerate(head_refs):
            rec["w_off"], rec["b_off"] = w.absolute(), b.absolute()
            heads_blob.put(spec.HEADS_HEADER.itemsize + h * spec.FC_DESC.itemsize, rec)
    return finish


def _layer_arrays(model, i: int, blobs: dict, scales: _Blob) -> tuple[np.ndarray, dict]:
    """The LAYER record of layer i (offsets still to resolve) and its array refs."""
    layer = model.layers[i]
    what = f"layer {i} {layer.name!r}"
    rec = np.zeros(1, spec.LAYER)
    rec["name"] = _name(layer.name, NAME_LEN, f"{what} name")
    rec["op"] = _check(layer.op, (0, 255), f"{what} op")
    rec["padding"] = _check(layer.padding, (0, 255), f"{what} padding")
    rec["act"] = _check(layer.act, (0, 255), f"{what} act")
    if not 1 <= len(layer.inputs) <= 2:
        raise FormatError(f"cannot write {what}: {len(layer.inputs)} inputs, the format holds 1 or 2")
    rec["in0"] = _check(layer.inputs[0], (0, NONE16 - 1), f"{what} input")
    rec["in1"] = (_check(layer.inputs[1], (0, NONE16 - 1), f"{what} input")
                  if len(layer.inputs) == 2 else NONE16)
    rec["out"] = _check(layer.output, (0, NONE16 - 1), f"{what} output")
    if layer.generated is not None:
        rec["flags"] = spec.LAYER_GENERATED
        rec["gen_index"] = _check(layer.generated, (0, NONE16 - 1), f"{what} generated index")
    else:
        rec["gen_index"] = NONE16
    for key in ("kernel", "stride", "dilation"):
        rec[key] = _check(getattr(layer, key), U16, f"{what} {key}")
    rec["act_min"] = _check(layer.act_min, I8, f"{what} act_min")
    rec["act_max"] = _check(layer.act_max, I8, f"{what} act_max")

    if (layer.mult is None) != (layer.shift is None):
        raise FormatError(f"cannot write {what}: mult and shift come together")
    mult = None if layer.mult is None else _ints(layer.mult, "<i4", f"{what} mult")
    shift = None if layer.shift is None else _ints(layer.shift, "<i1", f"{what} shift")
    n_q = 0 if mult is None else mult.size
    if shift is not None and shift.size != n_q:
        raise FormatError(f"cannot write {what}: {n_q} multipliers but {shift.size} shifts")
    rec["n_q"] = _check(n_q, U16, f"{what} n_q")
    wscale = None if layer.weight_scales is None else _floats(layer.weight_scales, f"{what} weight_scales")
    if wscale is not None and wscale.size != n_q:
        raise FormatError(f"cannot write {what}: {wscale.size} weight scales, n_q is {n_q}")
    bias = None if layer.bias is None else _ints(layer.bias, "<i4", f"{what} bias")
    if bias is not None and 0 <= layer.output < len(model.tensors):
        cout = model.tensors[layer.output].channels
        if bias.size != cout:
            raise FormatError(f"cannot write {what}: bias has {bias.size} entries, "
                              f"its output has {cout} channels")
    weights = None
    if layer.weights is not None:
        weights = _ints(layer.weights, "<i1", f"{what} weights")
        rec["w_len"] = _check(weights.size, U32, f"{what} weight bytes")

    refs: dict = {}
    if any(a is not None for a in (weights, bias, mult)):
        if layer.category not in LAYER_SECTION:
            raise FormatError(f"cannot write {what}: unknown category {layer.category!r} "
                              f"(layers use {', '.join(LAYER_SECTION)})")
        if (layer.category == "codes") != (layer.generated is not None):
            raise FormatError(f"cannot write {what}: generated layers and only they have "
                              f"category 'codes' (got {layer.category!r})")
        blob = blobs[LAYER_SECTION[layer.category]]
        for key, arr in (("w_off", weights), ("b_off", bias), ("mult_off", mult),
                         ("shift_off", shift)):
            if arr is not None:
                refs[key] = blob.add(arr)
    if wscale is not None:
        refs["wscale_off"] = scales.add(wscale)
    return rec, refs


def _plan_records(model) -> list[tuple[int, list]]:
    from ..plan import plan_memory
    plans = model.plans or plan_memory(model)
    out = []
    for mode in (Mode.BOOT, Mode.LAZY):
        if mode not in plans:
            raise FormatError(f"cannot write the model: no {spec.MODE_NAMES[mode]} memory plan")
        plan = plans[mode]
        what = f"{spec.MODE_NAMES[mode]} plan"
        arena = _check(plan.arena_size, U32, f"{what} arena size")
        _check(len(plan.entries), U16, f"{what} entry count")
        recs = np.zeros(len(plan.entries), spec.PLAN_ENTRY)
        for j, e in enumerate(plan.entries):
            recs["kind"][j] = _check(e.kind, (0, 255), f"{what} entry {j} kind")
            recs["ref"][j] = _check(e.ref, U16, f"{what} entry {j} ref")
            recs["offset"][j] = _check(e.offset, U32, f"{what} entry {j} offset")
            recs["size"][j] = _check(e.size, U32, f"{what} entry {j} size")
            recs["first"][j] = _check(e.first, U16, f"{what} entry {j} first")
            recs["last"][j] = _check(e.last, U16, f"{what} entry {j} last")
        out.append((arena, recs))
    return out


def write_model(model) -> bytes:
    """The bytes of `model` packed as format 1.0 (see docs/format.md)."""
    _check(len(model.tensors), (1, MAX_TENSORS), "the number of tensors")
    _check(len(model.layers), (1, MAX_LAYERS), "the number of layers")
    if model.generated and model.generator is None:
        raise FormatError("cannot write the model: it has generated layers but no generator")

    blobs = {k: _Blob(k) for k in (SectionKind.BACKBONE, SectionKind.PW1, SectionKind.SCALES)}
    n_gen = len(model.generated)
    blobs[SectionKind.CODES] = _Blob(SectionKind.CODES, spec.CODES_HEADER.itemsize
                                     + n_gen * spec.CODE_ENTRY.itemsize)
    gen = model.generator
    finish_generator = None
    if gen is not None:
        blobs[SectionKind.GENERATOR] = _Blob(SectionKind.GENERATOR, spec.GENERATOR_HEADER.itemsize
                                             + len(gen.mlp) * spec.FC_DESC.itemsize)
        blobs[SectionKind.HEADS] = _Blob(SectionKind.HEADS, spec.HEADS_HEADER.itemsize
                                         + len(gen.heads) * spec.FC_DESC.itemsize)
        finish_generator = _pack_generator(model, blobs[SectionKind.GENERATOR],
                                           blobs[SectionKind.HEADS])

    # CODES: header, entries, codes, then the generated layers' arrays (added below).
    code_recs = np.zeros(n_gen, spec.CODE_ENTRY)
    code_refs = []
    for g, entry in enumerate(model.generated):
        code = _ints(entry.code, "<i1", f"code {g}")
        if gen is not None and code.size != gen.d_code:
            raise FormatError(f"cannot write code {g}: {code.size} entries, d_code is {gen.d_code}")
        code_recs["layer"][g] = _check(entry.layer, U16, f"code {g} layer")
        code_recs["head"][g] = _check(entry.head, U16, f"code {g} head")
        code_refs.append(blobs[SectionKind.CODES].add(code))

    layer_recs = [_layer_arrays(model, i, blobs, blobs[SectionKind.SCALES])
                  for i in range(len(model.layers))]
    plans = _plan_records(model)
    plan_blob = _Blob(SectionKind.PLAN, spec.PLAN_HEADER.itemsize + 2 * spec.PLAN_MODE.itemsize)
    entry_refs = [plan_blob.add(recs) for _, recs in plans]

    fixed = {
        SectionKind.MODEL_INFO: _Blob(SectionKind.MODEL_INFO, spec.MODEL_INFO.itemsize),
        SectionKind.TENSORS: _Blob(SectionKind.TENSORS, len(model.tensors) * spec.TENSOR.itemsize),
        SectionKind.LAYERS: _Blob(SectionKind.LAYERS, len(model.layers) * spec.LAYER.itemsize),
        SectionKind.PLAN: plan_blob,
    }
    blobs.update(fixed)
    if not n_gen:
        del blobs[SectionKind.CODES]
    present = [blobs[k] for k in ORDER
               if k in blobs and (k in spec.REQUIRED_KINDS or len(blobs[k].buf) > 0)]

    # Layout: header, section table, then every section on a 16-byte boundary.
    table_off = HEADER.itemsize
    pos = align(table_off + len(present) * SECTION_ENTRY.itemsize, SECTION_ALIGN)
    for blob in present:
        blob.base = pos
        pos = align(pos + len(blob.buf), SECTION_ALIGN)
    total = present[-1].base + len(present[-1].buf)
    _check(total, U32, "the file length")

    # Records that hold absolute offsets, now that every base is known.
    info = np.zeros(1, spec.MODEL_INFO)
    info["name"] = _name(model.name, MODEL_NAME_LEN, "model name")
    info["input_tensor"] = _check(model.input_tensor, (0, NONE16 - 1), "input tensor")
    info["output_tensor"] = _check(model.output_tensor, (0, NONE16 - 1), "output tensor")
    info["class_tensor"] = _check(model.class_tensor, (0, NONE16 - 1), "class tensor")
    if 0 <= model.output_tensor < len(model.tensors):
        info["n_classes"] = _check(model.n_classes, U16, "the number of classes")
    info["n_tensors"], info["n_layers"], info["n_generated"] = (
        len(model.tensors), len(model.layers), _check(n_gen, U16, "the number of generated layers"))
    info["sample_rate_hz"] = _check(model.sample_rate_hz, U32, "sample rate")
    fixed[SectionKind.MODEL_INFO].put(0, info)

    tensors = np.zeros(len(model.tensors), spec.TENSOR)
    for t, tensor in enumerate(model.tensors):
        tensors["length"][t] = _check(tensor.length, U32, f"tensor {t} length")
        tensors["channels"][t] = _check(tensor.channels, U32, f"tensor {t} channels")
        tensors["scale"][t] = tensor.scale
        tensors["zero_point"][t] = _check(tensor.zero_point, I16, f"tensor {t} zero point")
        tensors["dtype"][t] = _check(tensor.dtype, (0, 255), f"tensor {t} dtype")
    fixed[SectionKind.TENSORS].put(0, tensors)

    for i, (rec, refs) in enumerate(layer_recs):
        for key, ref in refs.items():
            rec[key] = ref.absolute()
        fixed[SectionKind.LAYERS].put(i * spec.LAYER.itemsize, rec)

    if n_gen:
        head = np.zeros(1, spec.CODES_HEADER)
        head["n_generated"] = n_gen
        head["d_code"] = gen.d_code
        blobs[SectionKind.CODES].put(0, head)
        for g, ref in enumerate(code_refs):
            code_recs["code_off"][g] = ref.absolute()
        blobs[SectionKind.CODES].put(spec.CODES_HEADER.itemsize, code_recs)
    if finish_generator is not None:
        finish_generator()

    plan_head = np.zeros(1, spec.PLAN_HEADER)
    plan_head["n_modes"], plan_head["alignment"] = 2, ARENA_ALIGN
    plan_blob.put(0, plan_head)
    for m, ((arena, recs), ref) in enumerate(zip(plans, entry_refs)):
        mode = np.zeros(1, spec.PLAN_MODE)
        mode["arena_size"], mode["n_entries"] = arena, len(recs)
        mode["entries_off"] = ref.absolute() if len(recs) else 0
        plan_blob.put(spec.PLAN_HEADER.itemsize + m * spec.PLAN_MODE.itemsize, mode)

    out = bytearray(total)
    table = np.zeros(len(present), SECTION_ENTRY)
    for s, blob in enumerate(present):
        table["kind"][s], table["offset"][s], table["length"][s] = blob.kind, blob.base, len(blob.buf)
        out[blob.base:blob.base + len(blob.buf)] = blob.buf
    out[table_off:table_off + table.nbytes] = table.tobytes()
    header = np.zeros(1, HEADER)
    header["magic"] = spec.MAGIC
    header["version_major"], header["version_minor"] = VERSION_MAJOR, VERSION_MINOR
    header["total_length"], header["section_count"] = total, len(present)
    header["section_table_offset"] = table_off
    out[:HEADER.itemsize] = header.tobytes()
    out[CRC_OFFSET:CRC_OFFSET + 4] = (zlib.crc32(out) & 0xFFFF_FFFF).to_bytes(4, "little")
    return bytes(out)


__all__ = ["write_model"]
