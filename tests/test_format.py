"""The packed model format: writer, validating reader, byte accounting.

Corruptions are made on the bytes (CRC recomputed so the deeper check is the
one that fires) or on the Model before writing (the writer checks only that a
model is representable, so it happily writes broken ones for the reader).
"""

from __future__ import annotations

import dataclasses
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcusim.errors import FormatError
from mcusim.format import Accounting, account, load_model, read_model, write_model
from mcusim.format import spec
from mcusim.format.spec import DType, Mode, PlanKind, SectionKind
from mcusim.format.container import file_crc
from mcusim.model import Tensor
from mcusim.plan import plan_memory

from modelgen import plain_model, tiny_model

# ----------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def tiny():
    return tiny_model(0)


@pytest.fixture(scope="module")
def tiny_bytes(tiny):
    return write_model(tiny)


@pytest.fixture(scope="module")
def plain_bytes():
    return write_model(plain_model(0))


def recrc(data) -> bytes:
    data = bytearray(data)
    struct.pack_into("<I", data, spec.CRC_OFFSET, file_crc(data))
    return bytes(data)


def put(data: bytes, offset: int, fmt: str, value, crc: bool = True) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, offset, *(value if isinstance(value, tuple) else (value,)))
    return recrc(out) if crc else bytes(out)


def get(data: bytes, offset: int, fmt: str):
    return struct.unpack_from("<" + fmt, data, offset)[0]


def sections(data: bytes) -> dict[SectionKind, tuple[int, int, int]]:
    """kind -> (table entry offset, section offset, length), parsed independently."""
    count = get(data, 20, "I")
    out = {}
    for i in range(count):
        at = 32 + 16 * i
        kind, _, off, length = struct.unpack_from("<HHII", data, at)
        out[SectionKind(kind)] = (at, off, length)
    return out


def sec_off(data: bytes, kind: SectionKind) -> int:
    return sections(data)[kind][1]


def f(dtype: np.dtype, name: str) -> int:
    return dtype.fields[name][1]


def layer_at(data: bytes, i: int) -> int:
    return sec_off(data, SectionKind.LAYERS) + i * spec.LAYER.itemsize


def tensor_at(data: bytes, t: int) -> int:
    return sec_off(data, SectionKind.TENSORS) + t * spec.TENSOR.itemsize


def plan_mode_at(data: bytes, mode: Mode) -> int:
    return sec_off(data, SectionKind.PLAN) + spec.PLAN_HEADER.itemsize + int(mode) * 16


def plan_entry_at(data: bytes, mode: Mode, j: int) -> int:
    return get(data, plan_mode_at(data, mode) + f(spec.PLAN_MODE, "entries_off"), "I") + 16 * j


def rejects(data: bytes, *fragments: str) -> FormatError:
    """read_model raises one FormatError whose message holds every fragment,
    with `offset` and `section` set."""
    with pytest.raises(FormatError) as info:
        read_model(data)
    err = info.value
    for frag in fragments:
        assert frag in str(err), f"{frag!r} not in {str(err)!r}"
    assert err.offset is not None and err.section is not None, str(err)
    return err


def rejects_model(model, *fragments: str) -> FormatError:
    return rejects(write_model(model), *fragments)


def fresh():
    return tiny_model(0)


def assert_models_equal(a, b) -> None:
    def same(x, y, where):
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None, where
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=where)
            assert np.asarray(x).shape == np.asarray(y).shape, where
        elif dataclasses.is_dataclass(x):
            assert type(x) is type(y), where
            for fld in dataclasses.fields(x):
                same(getattr(x, fld.name), getattr(y, fld.name), f"{where}.{fld.name}")
        elif isinstance(x, (list, tuple)):
            assert len(x) == len(y), where
            for k, (u, v) in enumerate(zip(x, y)):
                same(u, v, f"{where}[{k}]")
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), where
            for k in x:
                same(x[k], y[k], f"{where}[{k}]")
        elif isinstance(x, float):
            assert np.float32(x) == np.float32(y), where
        else:
            assert x == y, where
    same(a, b, "model")


# -------------------------------------------------------------- round trip


@pytest.mark.parametrize("make", [tiny_model, plain_model], ids=["tiny", "plain"])
def test_round_trip_gives_identical_bytes_and_arrays(make):
    model = make(3)
    data = write_model(model)
    back = read_model(data)
    assert write_model(back) == data
    assert_models_equal(model, back)


def test_writer_is_deterministic(tiny_bytes):
    assert write_model(tiny_model(0)) == tiny_bytes
    assert write_model(tiny_model(0)) == write_model(tiny_model(0))
    assert write_model(tiny_model(1)) != tiny_bytes


def test_reader_returns_the_decoded_parts(tiny, tiny_bytes):
    m = read_model(tiny_bytes)
    assert m.layers[3].is_generated and m.layers[3].weights is None
    assert [lyr.category for lyr in m.layers if lyr.weights is not None or lyr.mult is not None] == \
        ["backbone", "pw1", "backbone", "codes", "backbone", "backbone", "backbone", "codes",
         "backbone"]
    assert m.layers[0].weights.shape == (8, 5, 1) and m.layers[0].weights.dtype == np.int8
    assert m.layers[2].weights.shape == (3, 16)
    assert m.layers[4].mult.shape == (3,) and m.layers[11].mult.shape == (1,)
    assert m.layers[1].shift.dtype == np.int32 and m.layers[1].mult.dtype == np.int32
    assert m.generator.embeddings.shape == (32, 8) and len(m.generator.heads) == 2
    assert set(m.plans) == {Mode.BOOT, Mode.LAZY}
    assert m.plans[Mode.BOOT].of_kind(PlanKind.KERNEL_CACHE)


def test_layout_is_ordered_aligned_and_packed(tiny_bytes):
    table = sections(tiny_bytes)
    kinds = list(table)
    assert kinds == [SectionKind.MODEL_INFO, SectionKind.TENSORS, SectionKind.LAYERS,
                     SectionKind.BACKBONE, SectionKind.PW1, SectionKind.GENERATOR,
                     SectionKind.HEADS, SectionKind.CODES, SectionKind.SCALES, SectionKind.PLAN]
    assert all(off % 16 == 0 for _, off, _ in table.values())
    assert tiny_bytes[:4] == b"MCSM" and get(tiny_bytes, 12, "I") == len(tiny_bytes)
    last = table[SectionKind.PLAN]
    assert last[1] + last[2] == len(tiny_bytes)


def test_plain_model_omits_generator_sections(plain_bytes):
    assert set(sections(plain_bytes)) == {SectionKind.MODEL_INFO, SectionKind.TENSORS,
                                          SectionKind.LAYERS, SectionKind.BACKBONE,
                                          SectionKind.PW1, SectionKind.SCALES, SectionKind.PLAN}


def test_missing_plans_are_computed():
    model = fresh()
    with_plans = write_model(model)
    model.plans = {}
    assert write_model(model) == with_plans


# -------------------------------------------------------------- accounting


def test_categories_sum_to_the_file_length(tiny_bytes):
    acc = account(tiny_bytes)
    assert isinstance(acc, Accounting)
    assert tuple(acc.by_category) == spec.CATEGORIES
    assert sum(acc.by_category.values()) == acc.total == len(tiny_bytes)


def test_categories_match_section_sizes(tiny_bytes):
    acc = account(tiny_bytes)
    table = sections(tiny_bytes)
    length = {k: v[2] for k, v in table.items()}
    for kind, cat in [(SectionKind.GENERATOR, "generator"), (SectionKind.HEADS, "heads"),
                      (SectionKind.CODES, "codes"), (SectionKind.PW1, "pw1"),
                      (SectionKind.BACKBONE, "backbone"), (SectionKind.PLAN, "plan")]:
        assert acc.by_category[cat] == length[kind], cat
    assert acc.by_category["pq_codebooks"] == acc.by_category["pq_indices"] == 0
    meta = len(tiny_bytes) - sum(length[k] for k in (SectionKind.GENERATOR, SectionKind.HEADS,
                                                     SectionKind.CODES, SectionKind.PW1,
                                                     SectionKind.BACKBONE, SectionKind.PLAN))
    assert acc.by_category["metadata/overhead"] == meta
    assert [s.kind for s in acc.sections] == [k.name.lower() for k in table]
    assert acc.host_only == length[SectionKind.SCALES]


def test_per_layer_bytes(tiny, tiny_bytes):
    acc = account(tiny_bytes)
    assert len(acc.by_layer) == len(tiny.layers)
    pw1 = acc.by_layer[1]
    assert (pw1.category, pw1.weights, pw1.bias, pw1.requant, pw1.scales) == \
        ("pw1", 16 * 8, 16 * 4, 16 * 5, 16 * 4)
    gen = acc.by_layer[8]
    assert gen.generated and gen.category == "codes" and gen.weights == 0
    assert gen.bias == 32 * 4 and gen.requant == 32 * 5
    add = acc.by_layer[4]
    assert (add.weights, add.bias, add.requant, add.scales) == (0, 0, 3 * 5, 0)
    stored = sum(lb.weights + lb.bias + lb.requant for lb in acc.by_layer if lb.category == "pw1")
    assert stored <= acc.by_category["pw1"]


def test_int8_equivalent_is_measured_on_the_int8_model(tiny, tiny_bytes):
    acc = account(tiny_bytes)
    rng = np.random.default_rng(7)
    layers = list(tiny.layers)
    for g in tiny.generated:
        shape = tiny.layer_weight_shape(g.layer)
        layers[g.layer] = dataclasses.replace(layers[g.layer], generated=None, category="backbone",
                                              weights=rng.integers(-128, 128, shape).astype(np.int8))
    int8 = dataclasses.replace(tiny, layers=layers, generator=None, generated=[], plans={})
    int8.plans = plan_memory(int8)
    data = write_model(int8)
    assert acc.int8_equivalent == len(data)
    assert acc.compression_ratio == pytest.approx(len(data) / len(tiny_bytes))
    assert account(data).int8_equivalent == len(data)        # already INT8: ratio 1
    assert account(data).compression_ratio == 1.0


def test_accounting_to_dict_is_json_and_stable(tiny_bytes):
    a, b = account(tiny_bytes).to_dict(), account(tiny_bytes).to_dict()
    text = json.dumps(a)
    assert text == json.dumps(b) == json.dumps(a, sort_keys=True)
    assert a["total"] == len(tiny_bytes) and a["by_layer"][0]["name"] == "stem"


def test_accounting_renders(tiny_bytes):
    import io

    from rich.console import Console
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(account(tiny_bytes))
    text = console.file.getvalue()
    assert "metadata/overhead" in text and "pw4" in text and "compression" in text


def test_account_rejects_invalid_files(tiny_bytes):
    with pytest.raises(FormatError, match="CRC mismatch"):
        account(tiny_bytes[:100] + b"x" + tiny_bytes[101:])


# ----------------------------------------------------------- container rules


def test_shorter_than_header(tiny_bytes):
    rejects(tiny_bytes[:20], "file is 20 bytes, shorter than the 32-byte header")


def test_wrong_magic(tiny_bytes):
    rejects(b"TFL3" + tiny_bytes[4:], "bad magic b'TFL3'")


@pytest.mark.parametrize("major,minor", [(2, 0), (0, 9), (1, 1)])
def test_unsupported_version(tiny_bytes, major, minor):
    data = put(put(tiny_bytes, 4, "H", major), 6, "H", minor)
    rejects(data, f"unsupported format version {major}.{minor}")


def test_truncated(tiny_bytes):
    err = rejects(tiny_bytes[:-1], "file is truncated", f"says {len(tiny_bytes)}")
    assert err.section == "header"


def test_total_length_mismatch(tiny_bytes):
    rejects(recrc(tiny_bytes + bytes(16)), f"total_length {len(tiny_bytes)}",
            f"does not match the file length {len(tiny_bytes) + 16}")


def test_crc_mismatch(tiny_bytes):
    data = bytearray(tiny_bytes)
    data[3000] ^= 0x10
    rejects(bytes(data), "CRC mismatch at offset 0x10")


def test_header_flags_and_reserved(tiny_bytes):
    rejects(put(tiny_bytes, 8, "I", 1), "unknown header flags 0x1")
    rejects(put(tiny_bytes, 28, "I", 5), "reserved header field")


def test_section_table_place_and_count(tiny_bytes):
    rejects(put(tiny_bytes, 24, "I", 48), "section table at offset 0x30")
    rejects(put(tiny_bytes, 20, "I", 0), "section count 0")
    rejects(put(tiny_bytes, 20, "I", 17), "section count 17")


def test_section_table_past_the_end(tiny_bytes):
    short = put(tiny_bytes[:100], 12, "I", 100)
    rejects(short, "section table at offset 0x20 (10 entries) overruns the file (length 100)")


def test_section_past_the_end(tiny_bytes):
    at, off, _ = sections(tiny_bytes)[SectionKind.PLAN]
    err = rejects(put(tiny_bytes, at + 8, "I", 10_000),
                  f"section 'plan' at offset 0x{off:x} overruns the file (length {len(tiny_bytes)})")
    assert err.section == "plan" and err.offset == off
    at, _, _ = sections(tiny_bytes)[SectionKind.CODES]
    rejects(put(tiny_bytes, at + 4, "I", 0xFFFF_FFF0), "section 'codes' at offset 0xfffffff0 overruns")


def test_misaligned_section(tiny_bytes):
    at, off, _ = sections(tiny_bytes)[SectionKind.HEADS]
    rejects(put(tiny_bytes, at + 4, "I", off + 4), "section 'heads'", "is misaligned")


def test_overlapping_sections(tiny_bytes):
    table = sections(tiny_bytes)
    at = table[SectionKind.TENSORS][0]
    rejects(put(tiny_bytes, at + 4, "I", table[SectionKind.MODEL_INFO][1]),
            "section 'tensors'", "overlaps section 'model_info'")
    at = table[SectionKind.MODEL_INFO][0]
    rejects(put(tiny_bytes, at + 4, "I", 32), "section 'model_info' at offset 0x20",
            "overlaps the header and section table")


def test_sections_listed_out_of_order(tiny_bytes):
    table = sections(tiny_bytes)
    a, b = table[SectionKind.BACKBONE][0], table[SectionKind.PW1][0]
    data = bytearray(tiny_bytes)
    data[a:a + 16], data[b:b + 16] = tiny_bytes[b:b + 16], tiny_bytes[a:a + 16]
    rejects(recrc(data), "section 'pw1' at offset", "is listed before section 'backbone'",
            "in file order")


def test_gap_and_padding_between_sections(tiny_bytes):
    table = sections(tiny_bytes)
    at, off, length = table[SectionKind.PW1]
    rejects(put(tiny_bytes, at + 8, "I", length - 16), "section 'generator'", "leaves a gap")
    _, info_off, info_len = table[SectionKind.MODEL_INFO]
    assert info_off + info_len < table[SectionKind.TENSORS][1]
    rejects(put(tiny_bytes, info_off + info_len, "B", 1), "non-zero padding before section 'tensors'")


def test_trailing_bytes_after_last_section(tiny_bytes):
    at, _, length = sections(tiny_bytes)[SectionKind.PLAN]
    rejects(put(tiny_bytes, at + 8, "I", length - 16), "16 bytes after the end of the last section")


def test_duplicate_section(tiny_bytes):
    at = sections(tiny_bytes)[SectionKind.SCALES][0]
    rejects(put(tiny_bytes, at, "H", int(SectionKind.BACKBONE)), "duplicate section 'backbone'")


def test_missing_required_section(plain_bytes):
    at = sections(plain_bytes)[SectionKind.PLAN][0]
    rejects(put(plain_bytes, at, "H", int(SectionKind.GENERATOR)), "missing required section 'plan'")


@pytest.mark.parametrize("kind", [0, 14, 999])
def test_unknown_section_kind(tiny_bytes, kind):
    at = sections(tiny_bytes)[SectionKind.SCALES][0]
    rejects(put(tiny_bytes, at, "H", kind), f"unknown section kind {kind}")


@pytest.mark.parametrize("kind", sorted(spec.RESERVED_KINDS))
def test_reserved_yono_kinds(tiny_bytes, kind):
    at = sections(tiny_bytes)[SectionKind.SCALES][0]
    err = rejects(put(tiny_bytes, at, "H", int(kind)),
                  f"'{kind.name.lower()}') is reserved for YONO, not supported by format 1.0")
    assert err.section == kind.name.lower()


def test_section_model_id_and_reserved(tiny_bytes):
    at = sections(tiny_bytes)[SectionKind.SCALES][0]
    rejects(put(tiny_bytes, at + 2, "H", spec.SHARED_MODEL), "belongs to model 65535")
    rejects(put(tiny_bytes, at + 12, "I", 1), "section table entry 8", "reserved field")


def test_generator_sections_go_together(plain_bytes, tiny_bytes):
    info = sec_off(plain_bytes, SectionKind.MODEL_INFO)
    rejects(put(plain_bytes, info + f(spec.MODEL_INFO, "n_generated"), "H", 1),
            "missing section 'codes'")
    info = sec_off(tiny_bytes, SectionKind.MODEL_INFO)
    data = put(tiny_bytes, info + f(spec.MODEL_INFO, "n_generated"), "H", 0)
    rejects(data, "unexpected section 'codes'", "no generated layers")
    at = sections(tiny_bytes)[SectionKind.HEADS][0]
    rejects(put(tiny_bytes, at, "H", int(SectionKind.PLAN)), "duplicate section 'plan'")
    model = fresh()
    model.generated = []
    model.layers[3] = dataclasses.replace(model.layers[3], generated=None, category="backbone",
                                          weights=np.zeros((16, 16), np.int8))
    model.layers[8] = dataclasses.replace(model.layers[8], generated=None, category="backbone",
                                          weights=np.zeros((32, 24), np.int8))
    model.plans = {}
    data = write_model(model)                 # a generator but no generated layers: allowed
    assert read_model(data).generator is not None
    table = sections(data)
    # Rename HEADS to CODES: a generator section without heads.
    rejects(put(data, table[SectionKind.HEADS][0], "H", int(SectionKind.CODES)),
            "section 'generator' at offset", "without section 'heads'")


# ------------------------------------------------------------- record rules


def test_fixed_section_lengths(tiny_bytes):
    at = sections(tiny_bytes)[SectionKind.MODEL_INFO][0]
    rejects(put(tiny_bytes, at + 8, "I", 60), "section 'model_info'", "has length 60, expected 1 x 56")


@pytest.mark.parametrize("field,value,message", [
    ("n_tensors", 0, "n_tensors 0 is out of range"),
    ("n_tensors", 1025, "n_tensors 1025 is out of range"),
    ("n_layers", 0, "n_layers 0 is out of range"),
    ("n_generated", 14, "n_generated 14 exceeds n_layers 13"),
    ("input_tensor", 14, "input_tensor 14 is out of range"),
    ("class_tensor", 0xFFFF, "class_tensor 65535 is out of range"),
    ("class_tensor", 12, "class_tensor 12 must be int32 (the output of an argmax layer)"),
    ("n_classes", 5, "n_classes 5 does not match the 4 channels"),
    ("reserved1", 1, "reserved field 'reserved1'"),
])
def test_model_info_fields(tiny_bytes, field, value, message):
    info = sec_off(tiny_bytes, SectionKind.MODEL_INFO)
    fmt = {"<u2": "H", "<u4": "I"}[spec.MODEL_INFO.fields[field][0].str]
    err = rejects(put(tiny_bytes, info + f(spec.MODEL_INFO, field), fmt, value), message)
    assert err.section == "model_info"


def test_names_are_ascii(tiny_bytes):
    rejects(put(tiny_bytes, sec_off(tiny_bytes, SectionKind.MODEL_INFO) + 2, "B", 0xC3),
            "model name at offset", "not printable ASCII")
    at = layer_at(tiny_bytes, 2) + f(spec.LAYER, "name")
    rejects(put(tiny_bytes, at + 10, "B", ord("x")), "layer 2 name", "padded with NUL")


@pytest.mark.parametrize("field,fmt,value,message", [
    ("dtype", "B", 7, "unknown dtype code 7"),
    ("zero_point", "h", 200, "zero point 200 is outside int8"),
    ("scale", "f", float("nan"), "scale nan is not a finite positive number"),
    ("scale", "f", 0.0, "scale 0.0 is not a finite positive number"),
    ("length", "I", 0, "has a zero dimension"),
    ("reserved", "B", 1, "reserved field 'reserved'"),
])
def test_tensor_fields(tiny_bytes, field, fmt, value, message):
    at = tensor_at(tiny_bytes, 3)
    err = rejects(put(tiny_bytes, at + f(spec.TENSOR, field), fmt, value),
                  f"tensor 3 at offset 0x{at:x}", message)
    assert (err.offset, err.section) == (at, "tensors")


def test_int32_tensor_zero_point(tiny_bytes):
    rejects(put(tiny_bytes, tensor_at(tiny_bytes, 13) + 12, "h", 3), "int32 tensors have zero point 0")


@pytest.mark.parametrize("layer,field,fmt,value,message", [
    (0, "op", "B", 42, "unknown op code 42"),
    (0, "padding", "B", 5, "unknown padding code 5"),
    (0, "act", "B", 9, "unknown act code 9"),
    (0, "flags", "B", 0x80, "unknown layer flags 0x80"),
    (0, "flags", "B", 1, "only pw_conv layers can be generated"),
    (1, "gen_index", "H", 0, "gen_index 0 on a stored layer"),
    (3, "gen_index", "H", 2, "generated index 2 is out of range"),
    (0, "in0", "H", 500, "input tensor 500 is out of range"),
    (0, "out", "H", 14, "output tensor 14 is out of range"),
    (4, "in1", "H", 14, "second input tensor 14 is out of range"),
    (1, "in1", "H", 0, "pw_conv has one input, in1 must be 0xffff"),
    (0, "kernel", "H", 0, "kernel must be at least 1"),
    (0, "stride", "H", 0, "stride must be at least 1"),
    (2, "dilation", "H", 0, "dilation must be at least 1"),
    (4, "act_min", "bb", (5, 4), "act_min 5 > act_max 4"),
    (1, "n_q", "H", 15, "n_q is 15, a pw_conv layer with 16 output channels has 16"),
    (4, "n_q", "H", 16, "n_q is 16, a add layer"),
    (11, "n_q", "H", 4, "n_q is 4, a fully_connected layer with 4 output channels has 1"),
    (5, "n_q", "H", 1, "n_q is 1, a max_pool layer"),
    (5, "reserved", "H", 1, "reserved field 'reserved'"),
])
def test_layer_record_fields(tiny_bytes, layer, field, fmt, value, message):
    at = layer_at(tiny_bytes, layer)
    err = rejects(put(tiny_bytes, at + f(spec.LAYER, field), fmt, value),
                  f"layer {layer} '", f"at offset 0x{at:x}", message)
    assert (err.offset, err.section) == (at, "layers")


# ----------------------------------------------------------- shapes and graph


@pytest.mark.parametrize("layer,field,value,message", [
    (0, "stride", 1, "output length 32 is inconsistent with input length 64, kernel 5, stride 1"),
    (0, "padding", 0, "(expected 30)"),
    (7, "dilation", 1, "output length 12 is inconsistent with input length 16, kernel 3, "
                       "stride 1, dilation 1, valid padding (expected 14)"),
    (7, "kernel", 9, "kernel 9 with dilation 2 does not fit the input length 16"),
    (9, "stride", 3, "(expected 4)"),
    (5, "kernel", 3, "(expected 15)"),
    (5, "dilation", 2, "pools have dilation 1"),
    (6, "kernel", 3, "a pointwise layer has kernel, stride and dilation 1, not 3, 1, 1"),
    (6, "stride", 2, "a pointwise layer has kernel, stride and dilation 1, not 1, 2, 1"),
    (6, "dilation", 2, "a pointwise layer has kernel, stride and dilation 1, not 1, 1, 2"),
])
def test_shape_rules_on_bytes(tiny_bytes, layer, field, value, message):
    fmt = {"u1": "B", "<u2": "H"}[spec.LAYER.fields[field][0].str.replace("|", "")]
    rejects(put(tiny_bytes, layer_at(tiny_bytes, layer) + f(spec.LAYER, field), fmt, value),
            f"layer {layer} ", message)


def test_conv_length_rule_matches_tflite():
    from mcusim.format.spec import Padding
    from mcusim.format.validate import conv_out_length
    for t in range(1, 40):
        for k in range(1, 6):
            for s in range(1, 4):
                for d in range(1, 3):
                    eff = (k - 1) * d + 1
                    valid = (t - eff) // s + 1 if t >= eff else 0     # TFLite ComputeOutSize
                    assert conv_out_length(t, k, s, d, Padding.VALID) == valid
                    assert conv_out_length(t, k, s, d, Padding.SAME) == (t + s - 1) // s


def test_stored_pw_fan_in_must_match_its_input():
    model = fresh()
    model.layers[1].weights = model.layers[1].weights[:, :7]
    rejects_model(model, "layer 1 'pw1'", "weights hold 112 bytes, expected 128 for shape [16, 8]")


def test_generated_pw_fan_in_must_match_its_head():
    model = fresh()
    model.generated[0].head = 1
    rejects_model(model, "code entry 0", "head 1 makes rows of 24, but layer 3 'pw2' has fan-in 16")


def test_depthwise_keeps_channels(tiny_bytes):
    data = put(tiny_bytes, tensor_at(tiny_bytes, 3) + f(spec.TENSOR, "channels"), "I", 8)
    rejects(data, "layer 2 'dw2'", "dw_conv keeps the channel count, but input tensor 2 has 16 "
                                   "channels and output tensor 3 has 8")


def test_fc_add_pool_argmax_shapes():
    model = fresh()
    model.layers[4].inputs = (2, 1)
    rejects_model(model, "layer 4 'add2'", "add needs equal shapes: inputs [32, 16] and [32, 8]")
    model = fresh()
    model.tensors[12] = dataclasses.replace(model.tensors[12], length=2)
    rejects_model(model, "layer 11 'fc'", "fully_connected keeps the length")
    model = fresh()
    model.tensors[11] = dataclasses.replace(model.tensors[11], length=2)
    rejects_model(model, "layer 10 'gap'", "global_avg_pool outputs one time step")
    model = fresh()
    model.tensors[6] = dataclasses.replace(model.tensors[6], zero_point=model.tensors[6].zero_point ^ 1)
    rejects_model(model, "layer 5 'pool2'", "max_pool does not requantize")
    model = fresh()
    model.tensors[13] = dataclasses.replace(model.tensors[13], channels=2)
    rejects_model(model, "layer 12 'argmax'", "argmax outputs an int32 tensor of shape [1, 1], not [1, 2]")
    model = fresh()
    model.tensors[13] = Tensor(1, 1, 0.1, 0, DType.INT8)
    rejects_model(model, "class_tensor 13 must be int32 (the output of an argmax layer)")
    model = fresh()
    model.tensors.append(Tensor(1, 1, 0.1, 0, DType.INT8))
    model.layers[12].output = 14
    model.plans = {}
    rejects_model(model, "layer 12 'argmax'", "argmax outputs an int32 tensor, output tensor 14 is int8")
    model = fresh()
    model.tensors[12] = dataclasses.replace(model.tensors[12], dtype=DType.INT32, zero_point=0)
    rejects_model(model, "model info at offset", "output_tensor 12 must be int8")
    model = fresh()
    model.tensors[4] = dataclasses.replace(model.tensors[4], dtype=DType.INT32, zero_point=0)
    rejects_model(model, "layer 3 'pw2'", "output tensor 4 is int32; only argmax outputs int32")


def test_graph_order_and_coverage():
    model = fresh()
    model.layers[1].inputs = (4,)
    rejects_model(model, "layer 1 'pw1'", "reads tensor 4 before any layer produces it")
    model = fresh()
    model.layers[2].output = 2
    rejects_model(model, "layer 2 'dw2'", "output tensor 2 is already layer 1's output")
    model = fresh()
    model.tensors.append(Tensor(4, 4, 0.1, 0))
    model.plans = {}
    rejects_model(model, "tensor 14 at offset", "neither the model input nor any layer's output")
    model = fresh()
    model.layers[12].inputs = (13,)
    rejects_model(model, "layer 12 'argmax'", "reads tensor 13 before any layer produces it")


# ---------------------------------------------------------------- arrays


def test_array_misaligned(tiny_bytes):
    at = layer_at(tiny_bytes, 0)
    w = get(tiny_bytes, at + f(spec.LAYER, "w_off"), "I")
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", w + 1),
            f"layer 0 'stem' at offset 0x{at:x}: weights at offset 0x{w + 1:x} is misaligned")


def test_array_in_the_wrong_section(tiny_bytes):
    at = layer_at(tiny_bytes, 0)
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", sec_off(tiny_bytes, SectionKind.TENSORS)),
            "weights at offset", "lies in section 'tensors', expected 'backbone' or 'pw1'")
    at3 = layer_at(tiny_bytes, 3)
    b = get(tiny_bytes, layer_at(tiny_bytes, 0) + f(spec.LAYER, "b_off"), "I")
    rejects(put(tiny_bytes, at3 + f(spec.LAYER, "b_off"), "I", b),
            "layer 3 'pw2'", "bias at offset", "expected 'codes'")
    rejects(put(tiny_bytes, at + f(spec.LAYER, "wscale_off"), "I", b),
            "weight scales at offset", "lies in section 'backbone', expected 'scales'")


def test_array_outside_every_section(tiny_bytes):
    at = layer_at(tiny_bytes, 0)
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", 4), "is not inside any section")
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", 0xFFFF_FFFC), "is not inside any section")


def test_array_overruns_its_section(tiny_bytes):
    _, off, length = sections(tiny_bytes)[SectionKind.BACKBONE]
    at = layer_at(tiny_bytes, 6)
    end = (off + length - 8) // 4 * 4
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", end),
            "layer 6 'pw3'", "(384 bytes) overruns section 'backbone'")


def test_array_over_section_records(tiny_bytes):
    codes = sec_off(tiny_bytes, SectionKind.CODES)
    rejects(put(tiny_bytes, codes + 4 + f(spec.CODE_ENTRY, "code_off"), "I", codes),
            "code entry 0", "overlaps the records of section 'codes'")


def test_array_wrong_length_and_presence(tiny_bytes):
    at = layer_at(tiny_bytes, 6)
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_len"), "I", 383), "weights hold 383 bytes, expected 384")
    rejects(put(tiny_bytes, at + f(spec.LAYER, "w_off"), "I", 0), "weights is missing (offset 0)")
    rejects(put(tiny_bytes, at + f(spec.LAYER, "mult_off"), "I", 0), "multipliers is missing")
    at3 = layer_at(tiny_bytes, 3)
    rejects(put(tiny_bytes, at3 + f(spec.LAYER, "w_len"), "I", 256),
            "a generated pw_conv layer stores no weights")
    at5 = layer_at(tiny_bytes, 5)
    b = get(tiny_bytes, at + f(spec.LAYER, "b_off"), "I")
    rejects(put(tiny_bytes, at5 + f(spec.LAYER, "b_off"), "I", b), "layer 5 'pool2'",
            "bias at offset", "is present but must be absent")


def test_layer_arrays_in_one_section(tiny_bytes):
    at1 = layer_at(tiny_bytes, 1)       # pw1: PW1 section
    b0 = get(tiny_bytes, layer_at(tiny_bytes, 0) + f(spec.LAYER, "b_off"), "I")
    rejects(put(tiny_bytes, at1 + f(spec.LAYER, "b_off"), "I", b0),
            "layer 1 'pw1'", "arrays are split between sections 'backbone' and 'pw1'")


def _shift_at(data, layer):
    return get(data, layer_at(data, layer) + f(spec.LAYER, "shift_off"), "I")


def _mult_at(data, layer):
    return get(data, layer_at(data, layer) + f(spec.LAYER, "mult_off"), "I")


@pytest.mark.parametrize("value", [31, -32, 127, -128])
def test_shift_out_of_range(tiny_bytes, value):
    rejects(put(tiny_bytes, _shift_at(tiny_bytes, 2) + 5, "b", value),
            "layer 2 'dw2'", f"shift 5 is {value}, outside [-31, 30]")


def test_shift_edges_are_valid():
    model = fresh()
    model.layers[2].shift[:2] = (-31, 30)
    read_model(write_model(model))


def test_negative_multiplier(tiny_bytes):
    rejects(put(tiny_bytes, _mult_at(tiny_bytes, 8) + 4, "i", -5), "layer 8 'pw4'",
            "multiplier 1 is negative (-5)")


def test_weight_scales_finite(tiny_bytes):
    at = get(tiny_bytes, layer_at(tiny_bytes, 0) + f(spec.LAYER, "wscale_off"), "I")
    rejects(put(tiny_bytes, at, "f", float("inf")), "weight scale inf is not a finite")


# ------------------------------------------------------------- generator


def gen_fc_at(data, i):
    return sec_off(data, SectionKind.GENERATOR) + spec.GENERATOR_HEADER.itemsize + 32 * i


def head_at(data, h):
    return sec_off(data, SectionKind.HEADS) + spec.HEADS_HEADER.itemsize + 32 * h


@pytest.mark.parametrize("field,fmt,value,message", [
    ("n_fc", "H", 0, "n_fc 0 is out of range (1..4)"),
    ("n_fc", "H", 5, "n_fc 5 is out of range (1..4)"),
    ("n_fc", "H", 4, "embeddings at offset 0x"),
    ("d_emb", "H", 0, "d_emb must be at least 1"),
    ("in_zp", "h", -129, "in_zp -129 is outside int8"),
    ("in_scale", "f", -1.0, "in_scale -1.0 is not a finite positive number"),
    ("reserved", "H", 3, "reserved field 'reserved'"),
    ("emb_off", "I", 0, "embeddings is missing"),
])
def test_generator_header(tiny_bytes, field, fmt, value, message):
    at = sec_off(tiny_bytes, SectionKind.GENERATOR)
    err = rejects(put(tiny_bytes, at + f(spec.GENERATOR_HEADER, field), fmt, value), message)
    assert err.section == "generator"


@pytest.mark.parametrize("field,fmt,value,message", [
    ("in_features", "H", 17, "in_features 17 does not match d_code + d_emb = 16"),
    ("out_features", "H", 0, "has a zero dimension"),
    ("shift", "b", 31, "shift 0 is 31"),
    ("mult", "i", -1, "multiplier 0 is negative"),
    ("act_min", "bb", (5, 4), "act_min 5 > act_max 4"),
    ("out_zp", "h", 300, "out_zp 300 is outside int8"),
    ("reserved", "B", 1, "reserved field"),
    ("w_scale", "f", float("nan"), "w_scale nan"),
    ("b_off", "I", 0, "bias is missing"),
])
def test_generator_fc_records(tiny_bytes, field, fmt, value, message):
    at = gen_fc_at(tiny_bytes, 0)
    err = rejects(put(tiny_bytes, at + f(spec.FC_DESC, field), fmt, value),
                  f"generator layer 0 at offset 0x{at:x}", message)
    assert err.section == "generator"


def test_generator_chain():
    model = fresh()
    gen = model.generator
    gen.mlp[0].weights = gen.mlp[0].weights[:, :15]
    rejects_model(model, "generator layer 0", "in_features 15 does not match d_code + d_emb = 16")
    model = fresh()
    model.generator.mlp[1].weights = model.generator.mlp[1].weights[:, :31]
    rejects_model(model, "generator layer 1", "in_features 31 does not match generator layer 0's "
                                              "out_features = 32")
    model = fresh()
    model.generator.mlp[1].in_zp += 1
    rejects_model(model, "generator layer 1", "in_zp", "does not match the zero point")
    model = fresh()
    model.generator.mlp[0].in_zp = model.generator.in_zp ^ 1
    rejects_model(model, "generator layer 0", "in_zp")


def test_heads():
    model = fresh()
    model.generator.heads[1].weights = model.generator.heads[1].weights[:, :23]
    rejects_model(model, "head 1", "in_features 23 does not match the latent size 24")
    model = fresh()
    model.generator.heads[0].out_zp = 3
    rejects_model(model, "head 0", "out_zp 3, heads write kernel rows with zero point 0")
    model = fresh()
    model.generator.heads[0].in_zp += 1
    rejects_model(model, "head 0", "does not match the latent zero point")


def test_heads_header(tiny_bytes):
    at = sec_off(tiny_bytes, SectionKind.HEADS)
    rejects(put(tiny_bytes, at, "H", 0), "section 'heads'", "n_heads 0 is out of range")
    rejects(put(tiny_bytes, at, "H", 1000), "1000 records of 32 bytes overrun the section")


def test_embedding_rows_cover_every_output_channel():
    model = fresh()
    model.generator.embeddings = model.generator.embeddings[:31]
    rejects_model(model, "code entry 1", "layer 8 'pw4' has 32 output channels but the generator "
                                         "has 31 embedding rows")


def test_code_entries_and_generated_layers_agree_both_ways(tiny_bytes):
    codes = sec_off(tiny_bytes, SectionKind.CODES)
    entry0 = codes + spec.CODES_HEADER.itemsize
    rejects(put(tiny_bytes, entry0, "H", 8), "code entry 0", "layer 8 'pw4' is not generated layer 0")
    rejects(put(tiny_bytes, entry0, "H", 13), "code entry 0", "layer 13 is out of range")
    rejects(put(tiny_bytes, entry0 + 2, "H", 2), "code entry 0", "head 2 is out of range")
    model = fresh()
    pw3 = model.layers[6]
    pw3.generated, pw3.weights, pw3.category = 0, None, "codes"
    rejects_model(model, "layer 6 'pw3'", "generated index 0, but code entry 0 names layer 3")


def test_codes_header(tiny_bytes):
    codes = sec_off(tiny_bytes, SectionKind.CODES)
    rejects(put(tiny_bytes, codes, "H", 1), "n_generated 1 does not match the model info's 2")
    rejects(put(tiny_bytes, codes + 2, "H", 9), "d_code 9 does not match the generator's 8")


# ---------------------------------------------------------------- plans


def test_plan_overlap_while_live(tiny_bytes):
    # tensors 1 (stem out) and 2 (pw1 out) are both live at step 2.
    e1 = plan_entry_at(tiny_bytes, Mode.BOOT, 1)
    e2 = plan_entry_at(tiny_bytes, Mode.BOOT, 2)
    assert get(tiny_bytes, e1 + 2, "H") == 1 and get(tiny_bytes, e2 + 2, "H") == 2
    data = put(tiny_bytes, e2 + 4, "I", get(tiny_bytes, e1 + 4, "I"))
    err = rejects(data, "boot plan at offset", "overlap in the arena while both are live")
    assert err.section == "plan"


def test_plan_exceeds_arena(tiny_bytes):
    mode = plan_mode_at(tiny_bytes, Mode.LAZY)
    rejects(put(tiny_bytes, mode, "I", 64), "lazy plan at offset", "past the arena of 64 bytes")


def test_plan_entry_coverage(tiny_bytes):
    e = plan_entry_at(tiny_bytes, Mode.BOOT, 3)
    rejects(put(tiny_bytes, e + 8, "I", 100), "boot plan entry 3", "size 100, the tensor holds 512")
    rejects(put(tiny_bytes, e + 12, "H", 4), "boot plan entry 3", "live 4..4, must cover time steps 3..4")
    rejects(put(tiny_bytes, e + 2, "H", 2), "boot plan entry 3", "a second buffer for the same thing")
    rejects(put(tiny_bytes, e + 2, "H", 99), "tensor 99 is out of range")
    mode = plan_mode_at(tiny_bytes, Mode.LAZY)
    n = get(tiny_bytes, mode + 8, "H")
    rejects(put(tiny_bytes, mode + 8, "H", n - 1), "lazy plan at offset", "no buffer for synthesis workspace")


def test_plan_missing_kernel_cache_and_small_scratch():
    model = fresh()
    boot = model.plans[Mode.BOOT]
    boot.entries = [e for e in boot.entries if e.kind != PlanKind.KERNEL_CACHE]
    rejects_model(model, "boot plan", "no buffer for kernel cache 0, kernel cache 1")
    model = fresh()
    scratch = model.plans[Mode.LAZY].of_kind(PlanKind.KERNEL_SCRATCH)[0]
    assert scratch.size == 32 * 24
    scratch.size = 32 * 16
    rejects_model(model, "lazy plan entry", "kernel_scratch 0", "size 512, needs at least 768")
    model = fresh()
    cache = model.plans[Mode.BOOT].of_kind(PlanKind.KERNEL_CACHE)[1]
    cache.first = 1
    n_layers = len(model.layers)
    rejects_model(model, "kernel_cache 1", f"must cover time steps 0..{n_layers}")
    # a cache that dies after its own layer would be overwritten before the next window
    model = fresh()
    cache = model.plans[Mode.BOOT].of_kind(PlanKind.KERNEL_CACHE)[0]
    cache.last = 1 + model.generated[0].layer
    rejects_model(model, "kernel_cache 0", f"must cover time steps 0..{n_layers}")
    model = fresh()
    model.plans[Mode.LAZY].entries.append(dataclasses.replace(
        model.plans[Mode.BOOT].of_kind(PlanKind.KERNEL_CACHE)[0]))
    rejects_model(model, "lazy plan entry", "kernel caches belong to the boot plan")


def test_plan_missing_activation():
    model = fresh()
    lazy = model.plans[Mode.LAZY]
    lazy.entries = [e for e in lazy.entries if (e.kind, e.ref) != (PlanKind.ACTIVATION, 5)]
    rejects_model(model, "lazy plan at offset", "no buffer for activation tensor 5")


def test_plan_records(tiny_bytes):
    plan = sec_off(tiny_bytes, SectionKind.PLAN)
    rejects(put(tiny_bytes, plan, "H", 3), "n_modes is 3, format 1.0 plans have 2")
    rejects(put(tiny_bytes, plan + 4, "I", 8), "alignment 8")
    e = plan_entry_at(tiny_bytes, Mode.LAZY, 0)
    rejects(put(tiny_bytes, e, "B", 9), "lazy plan entry 0", "unknown buffer kind 9")
    rejects(put(tiny_bytes, e + 4, "I", 8), "arena offset 8 is not a multiple of 16")
    rejects(put(tiny_bytes, e + 14, "H", 14), "lifetime 1..14 is not within time steps 0..13")
    mode = plan_mode_at(tiny_bytes, Mode.BOOT)
    rejects(put(tiny_bytes, mode + 8, "H", 0xFFFF), "65535 entries, out of range")
    rejects(put(tiny_bytes, mode + 4, "I", 0), "boot plan", "entries is missing")


def test_written_plans_are_valid_for_both_modes(tiny):
    from mcusim.plan import plan_conflicts
    for plan in tiny.plans.values():
        assert plan_conflicts(plan) == []


# --------------------------------------------------------------- writer limits


def test_writer_refuses_what_it_cannot_represent():
    model = fresh()
    model.layers[0].kernel = 70_000
    with pytest.raises(FormatError, match="layer 0 'stem' kernel = 70000: the field holds 0..65535"):
        write_model(model)
    model = fresh()
    model.generator.mlp[0].weights = np.zeros((70_000, 16), np.int8)
    model.generator.mlp[0].bias = np.zeros(70_000, np.int32)
    with pytest.raises(FormatError, match="generator layer 0 features = 70000"):
        write_model(model)
    model = fresh()
    model.layers[1].weights = model.layers[1].weights.astype(np.int16) * 2
    with pytest.raises(FormatError, match="layer 1 'pw1' weights: values .* do not fit int8"):
        write_model(model)
    model = fresh()
    model.layers[1].shift = model.layers[1].shift + 200
    with pytest.raises(FormatError, match="shift: values"):
        write_model(model)
    model = fresh()
    model.layers[0].name = "a_much_too_long_layer_name"
    with pytest.raises(FormatError, match="at most 16 bytes"):
        write_model(model)
    model = fresh()
    model.layers[0].bias = model.layers[0].bias[:3]
    with pytest.raises(FormatError, match="bias has 3 entries, its output has 8 channels"):
        write_model(model)
    model = fresh()
    model.generator = None
    with pytest.raises(FormatError, match="generated layers but no generator"):
        write_model(model)
    model = fresh()
    model.layers[3].category = "backbone"
    with pytest.raises(FormatError, match="generated layers and only they have category 'codes'"):
        write_model(model)


# ---------------------------------------------------------------- files


def test_load_model(tmp_path, tiny_bytes):
    path = tmp_path / "model.bin"
    path.write_bytes(tiny_bytes)
    assert write_model(load_model(path)) == tiny_bytes
    with pytest.raises(FormatError) as info:
        load_model(tmp_path / "missing.bin")
    assert str(tmp_path / "missing.bin") in str(info.value) and "cannot read" in str(info.value)
    with pytest.raises(FormatError, match="cannot read"):
        load_model(tmp_path)
    path.write_bytes(tiny_bytes[:-3])
    with pytest.raises(FormatError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}: file is truncated")
    assert info.value.path == str(path)


# ------------------------------------------------------- robustness sweeps


def test_truncation_at_every_offset(tiny_bytes):
    for k in range(len(tiny_bytes)):
        with pytest.raises(FormatError):
            read_model(tiny_bytes[:k])


def test_truncation_with_consistent_header_at_every_offset(tiny_bytes):
    """Cut files whose total_length and CRC agree with the cut: the table or a
    section must be found past the end, never read."""
    for k in range(32, len(tiny_bytes)):
        data = put(tiny_bytes[:k], 12, "I", k)
        with pytest.raises(FormatError):
            read_model(data)


def _record_fields():
    """(offset getter, struct fmt) for every field of every fixed record of the tiny model."""
    fmts = {"u1": "B", "i1": "b", "<u2": "H", "<i2": "h", "<u4": "I", "<i4": "i", "<f4": "f"}
    out = []
    for dtype, starts in [
        (spec.HEADER, lambda d: [0]),
        (spec.SECTION_ENTRY, lambda d: [32 + 16 * i for i in range(len(sections(d)))]),
        (spec.MODEL_INFO, lambda d: [sec_off(d, SectionKind.MODEL_INFO)]),
        (spec.TENSOR, lambda d: [tensor_at(d, t) for t in range(14)]),
        (spec.LAYER, lambda d: [layer_at(d, i) for i in range(13)]),
        (spec.GENERATOR_HEADER, lambda d: [sec_off(d, SectionKind.GENERATOR)]),
        (spec.FC_DESC, lambda d: [gen_fc_at(d, 0), gen_fc_at(d, 1), head_at(d, 0), head_at(d, 1)]),
        (spec.CODES_HEADER, lambda d: [sec_off(d, SectionKind.CODES)]),
        (spec.CODE_ENTRY, lambda d: [sec_off(d, SectionKind.CODES) + 4, sec_off(d, SectionKind.CODES) + 12]),
        (spec.PLAN_HEADER, lambda d: [sec_off(d, SectionKind.PLAN)]),
        (spec.PLAN_MODE, lambda d: [plan_mode_at(d, Mode.BOOT), plan_mode_at(d, Mode.LAZY)]),
        (spec.PLAN_ENTRY, lambda d: [plan_entry_at(d, Mode.BOOT, j) for j in (0, 5, 14, 16)]),
    ]:
        for name, (ft, off, *_) in dtype.fields.items():
            key = ft.str.replace("|", "")
            if key in fmts:
                out.append((starts, off, fmts[key]))
    return out


EDGE = {"B": (0, 1, 0x7F, 0xFF), "b": (-128, -1, 1, 127), "H": (0, 1, 0x7FFF, 0xFFFF),
        "h": (-32768, -1, 1, 32767), "I": (0, 1, 0x8000_0000, 0xFFFF_FFFF),
        "i": (-(2 ** 31), -1, 1, 2 ** 31 - 1), "f": (0.0, -1.0, float("inf"), float("nan"))}


def test_every_record_field_at_its_edges(tiny_bytes):
    """Every field of every record set to edge values (CRC fixed): a Model or a FormatError."""
    fields = _record_fields()
    assert len(fields) > 80
    for starts, off, fmt in fields:
        for base in starts(tiny_bytes):
            if base + off == spec.CRC_OFFSET:
                continue
            for value in EDGE[fmt]:
                data = put(tiny_bytes, base + off, fmt, value)
                try:
                    read_model(data)
                except FormatError:
                    pass


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.integers(min_value=0, max_value=2 ** 20), min_size=1, max_size=6))
def test_random_bit_flips_with_crc_recomputed(tiny_bytes, flips):
    data = bytearray(tiny_bytes)
    for bit in flips:
        data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    data = recrc(data)
    try:
        model = read_model(data)
    except FormatError:
        return
    again = write_model(model)                      # a valid model packs again ...
    assert_models_equal(read_model(again), model)   # ... to the same model


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(min_value=0, max_value=1400), data=st.binary(min_size=1, max_size=8))
def test_random_overwrites_of_the_records(tiny_bytes, start, data):
    """Overwrite bytes in the header, table and record sections (the first ~1.3 kB)."""
    out = bytearray(tiny_bytes)
    out[start:start + len(data)] = data
    out = recrc(out[:len(tiny_bytes)])
    try:
        read_model(out)
    except FormatError:
        pass


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bit=st.integers(min_value=0, max_value=7608 * 8 - 1))
def test_single_bit_flip_is_caught_by_the_crc(tiny_bytes, bit):
    data = bytearray(tiny_bytes)
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    if bytes(data) == tiny_bytes:
        return
    with pytest.raises(FormatError, match="CRC mismatch|unsupported format|bad magic|truncated|"
                                          "does not match the file length"):
        read_model(bytes(data))


# ------------------------------------------------------------ the document


def test_docs_record_tables_match_spec():
    """Every record table of docs/format.md lists exactly the fields of spec.py."""
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "docs" / "format.md").read_text()
    types = {"u1": "u8", "i1": "i8", "<u2": "u16", "<i2": "i16", "<u4": "u32", "<i4": "i32",
             "<f4": "f32"}
    found = set()
    for m in re.finditer(r"^### `(\w+)` record \((\d+) bytes\)\n(.*?)(?=^#)", text, re.M | re.S):
        name, size, body = m.group(1), int(m.group(2)), m.group(3)
        dtype = getattr(spec, name)
        assert dtype.itemsize == size, name
        table = re.search(r"(?:^\|.*\n)+", body, re.M).group(0)      # the first table
        rows = [[c.strip() for c in line.strip().strip("|").split("|")]
                for line in table.splitlines() if re.match(r"\|\s*\d+\s*\|", line)]
        want = [(off, ft.itemsize, types.get(ft.str.replace("|", ""), f"char[{ft.itemsize}]"), fname)
                for fname, (ft, off, *_) in sorted(dtype.fields.items(), key=lambda kv: kv[1][1])]
        assert [(int(r[0]), int(r[1]), r[2], r[3]) for r in rows] == want, name
        found.add(name)
    assert found == {"HEADER", "SECTION_ENTRY", "MODEL_INFO", "TENSOR", "LAYER", "FC_DESC",
                     "GENERATOR_HEADER", "HEADS_HEADER", "CODES_HEADER", "CODE_ENTRY",
                     "PLAN_HEADER", "PLAN_MODE", "PLAN_ENTRY"}


def test_crc_is_zlib_crc32_with_the_field_zeroed(tiny_bytes):
    import zlib
    assert zlib.crc32(b"123456789") == 0xCBF43926
    zeroed = tiny_bytes[:16] + bytes(4) + tiny_bytes[20:]
    assert get(tiny_bytes, 16, "I") == zlib.crc32(zeroed)
