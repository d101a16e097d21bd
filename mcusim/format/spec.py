"""The binary layout of a packed model file (model.bin), format 1.0.

This module is the single source of the layout: the writer, the reader, the
docs (docs/format.md) and the C firmware's `kernels/include/mcusim_format.h`
all follow these structures. Every record is little-endian with explicit
offsets, so the same bytes are read in place from flash by the firmware.
"""

from __future__ import annotations

import enum

import numpy as np

MAGIC = b"MCSM"
VERSION_MAJOR = 1
VERSION_MINOR = 0
SECTION_ALIGN = 16          # every section starts on a 16-byte boundary
ARRAY_ALIGN = 4             # every array inside a section starts on a 4-byte boundary
ARENA_ALIGN = 16            # every planned arena buffer starts on a 16-byte boundary
NONE16 = 0xFFFF             # "no tensor / no index" in 16-bit reference fields
SHARED_MODEL = 0xFFFF       # section owned by no single model (YONO shared codebooks)
NAME_LEN = 16               # layer names
MODEL_NAME_LEN = 32
MAX_LAYERS = 1024
MAX_TENSORS = 1024
MAX_FC = 4                  # layers in the generator's micro-MLP

HEADER = np.dtype({
    "names": ["magic", "version_major", "version_minor", "flags", "total_length",
              "crc32", "section_count", "section_table_offset", "reserved"],
    "formats": ["S4", "<u2", "<u2", "<u4", "<u4", "<u4", "<u4", "<u4", "<u4"],
    "offsets": [0, 4, 6, 8, 12, 16, 20, 24, 28],
    "itemsize": 32,
})
CRC_OFFSET = 16             # the CRC-32 is computed with these 4 bytes set to zero

SECTION_ENTRY = np.dtype({
    "names": ["kind", "model", "offset", "length", "reserved"],
    "formats": ["<u2", "<u2", "<u4", "<u4", "<u4"],
    "offsets": [0, 2, 4, 8, 12],
    "itemsize": 16,
})


class SectionKind(enum.IntEnum):
    """What a section holds; the byte category of each kind is in CATEGORY."""
    MODEL_INFO = 1
    TENSORS = 2
    LAYERS = 3
    BACKBONE = 4      # stem conv, depthwise convs, stored non-PW1 PWs, pools, classifier
    PW1 = 5           # the kept INT8 first pointwise layer(s)
    GENERATOR = 6     # shared micro-MLP and row embeddings
    HEADS = 7         # per-fan-in heads projecting the latent to a kernel row
    CODES = 8         # per-generated-layer codes, biases and output scaling
    PLAN = 9          # memory plan per synthesis mode
    SCALES = 10       # float32 weight scales, host only (export, inspection)
    PQ_CODEBOOKS = 11  # YONO: reserved in format 1.0
    PQ_INDICES = 12    # YONO: reserved in format 1.0
    BUNDLE = 13        # YONO: several models in one file, reserved in format 1.0


RESERVED_KINDS = {SectionKind.PQ_CODEBOOKS, SectionKind.PQ_INDICES, SectionKind.BUNDLE}
REQUIRED_KINDS = {SectionKind.MODEL_INFO, SectionKind.TENSORS, SectionKind.LAYERS,
                  SectionKind.PLAN}

CATEGORIES = ("generator", "heads", "codes", "pw1", "backbone", "pq_codebooks",
              "pq_indices", "plan", "metadata/overhead")

CATEGORY = {
    SectionKind.MODEL_INFO: "metadata/overhead",
    SectionKind.TENSORS: "metadata/overhead",
    SectionKind.LAYERS: "metadata/overhead",
    SectionKind.BACKBONE: "backbone",
    SectionKind.PW1: "pw1",
    SectionKind.GENERATOR: "generator",
    SectionKind.HEADS: "heads",
    SectionKind.CODES: "codes",
    SectionKind.PLAN: "plan",
    SectionKind.SCALES: "metadata/overhead",
    SectionKind.PQ_CODEBOOKS: "pq_codebooks",
    SectionKind.PQ_INDICES: "pq_indices",
    SectionKind.BUNDLE: "metadata/overhead",
}


def section_name(kind: int) -> str:
    """Lower-case section name used in messages ('codes', 'pw1', ...)."""
    try:
        return SectionKind(kind).name.lower()
    except ValueError:
        return f"kind {kind}"


MODEL_INFO = np.dtype({
    "names": ["name", "input_tensor", "output_tensor", "class_tensor", "n_classes",
              "n_tensors", "n_layers", "n_generated", "reserved0", "sample_rate_hz",
              "reserved1"],
    "formats": ["S32", "<u2", "<u2", "<u2", "<u2", "<u2", "<u2", "<u2", "<u2", "<u4", "<u4"],
    "offsets": [0, 32, 34, 36, 38, 40, 42, 44, 46, 48, 52],
    "itemsize": 56,
})


class DType(enum.IntEnum):
    INT8 = 1
    INT32 = 2


DTYPE_SIZE = {DType.INT8: 1, DType.INT32: 4}

TENSOR = np.dtype({
    "names": ["length", "channels", "scale", "zero_point", "dtype", "reserved"],
    "formats": ["<u4", "<u4", "<f4", "<i2", "u1", "u1"],
    "offsets": [0, 4, 8, 12, 14, 15],
    "itemsize": 16,
})


class Op(enum.IntEnum):
    """Layer operators. Each maps onto one TFLite builtin (docs/semantics.md)."""
    CONV = 1             # 1-D convolution (stem)           -> CONV_2D
    DW_CONV = 2          # 1-D depthwise convolution         -> DEPTHWISE_CONV_2D
    PW_CONV = 3          # pointwise (1x1) convolution       -> CONV_2D 1x1
    AVG_POOL = 4         #                                   -> AVERAGE_POOL_2D
    MAX_POOL = 5         #                                   -> MAX_POOL_2D
    GLOBAL_AVG_POOL = 6  # average over all time steps       -> AVERAGE_POOL_2D
    FULLY_CONNECTED = 7  #                                   -> FULLY_CONNECTED
    ADD = 8              # residual add                      -> ADD
    ARGMAX = 9           # class index, int32                -> ARG_MAX


class Padding(enum.IntEnum):
    VALID = 0
    SAME = 1


class Act(enum.IntEnum):
    NONE = 0
    RELU = 1
    RELU6 = 2


LAYER_GENERATED = 0x01   # layer flag: PW kernel synthesized by the generator

LAYER = np.dtype({
    "names": ["op", "flags", "padding", "act", "in0", "in1", "out", "gen_index",
              "kernel", "stride", "dilation", "act_min", "act_max", "n_q", "reserved",
              "w_off", "w_len", "b_off", "mult_off", "shift_off", "wscale_off", "name"],
    "formats": ["u1", "u1", "u1", "u1", "<u2", "<u2", "<u2", "<u2",
                "<u2", "<u2", "<u2", "i1", "i1", "<u2", "<u2",
                "<u4", "<u4", "<u4", "<u4", "<u4", "<u4", "S16"],
    "offsets": [0, 1, 2, 3, 4, 6, 8, 10,
                12, 14, 16, 18, 19, 20, 22,
                24, 28, 32, 36, 40, 44, 48],
    "itemsize": 64,
})

# One fully-connected layer of the generator (micro-MLP layer or head). The
# firmware uses mult/shift/zero points/clamps; the float scales are for export.
FC_DESC = np.dtype({
    "names": ["in_features", "out_features", "w_off", "b_off", "mult", "shift",
              "act_min", "act_max", "reserved", "in_zp", "out_zp", "w_scale", "out_scale"],
    "formats": ["<u2", "<u2", "<u4", "<u4", "<i4", "i1", "i1", "i1", "u1",
                "<i2", "<i2", "<f4", "<f4"],
    "offsets": [0, 2, 4, 8, 12, 16, 17, 18, 19, 20, 22, 24, 28],
    "itemsize": 32,
})

GENERATOR_HEADER = np.dtype({
    "names": ["d_code", "d_emb", "n_emb_rows", "n_fc", "in_zp", "reserved", "in_scale",
              "emb_off"],
    "formats": ["<u2", "<u2", "<u2", "<u2", "<i2", "<u2", "<f4", "<u4"],
    "offsets": [0, 2, 4, 6, 8, 10, 12, 16],
    "itemsize": 20,
})
# GENERATOR section: GENERATOR_HEADER, then n_fc FC_DESC (at offset 20), then arrays.

HEADS_HEADER = np.dtype({
    "names": ["n_heads", "reserved"],
    "formats": ["<u2", "<u2"],
    "offsets": [0, 2],
    "itemsize": 4,
})
# HEADS section: HEADS_HEADER, then n_heads FC_DESC (at offset 4), then arrays.

CODES_HEADER = np.dtype({
    "names": ["n_generated", "d_code"],
    "formats": ["<u2", "<u2"],
    "offsets": [0, 2],
    "itemsize": 4,
})
CODE_ENTRY = np.dtype({
    "names": ["layer", "head", "code_off"],
    "formats": ["<u2", "<u2", "<u4"],
    "offsets": [0, 2, 4],
    "itemsize": 8,
})
# CODES section: CODES_HEADER, n_generated CODE_ENTRY (at offset 4), then arrays
# (codes, and the generated layers' bias / multiplier / shift arrays).


class PlanKind(enum.IntEnum):
    """What a planned arena buffer holds."""
    ACTIVATION = 0   # a tensor of the layer graph (ref = tensor index)
    KERNEL_CACHE = 1  # boot: one generated PW kernel (ref = generated index)
    KERNEL_SCRATCH = 2  # lazy: the one buffer refilled before each generated layer
    SYNTH_WORKSPACE = 3  # generator activations while synthesizing


class Mode(enum.IntEnum):
    BOOT = 0
    LAZY = 1


MODE_NAMES = {Mode.BOOT: "boot", Mode.LAZY: "lazy"}

PLAN_HEADER = np.dtype({
    "names": ["n_modes", "reserved", "alignment"],
    "formats": ["<u2", "<u2", "<u4"],
    "offsets": [0, 2, 4],
    "itemsize": 8,
})
PLAN_MODE = np.dtype({
    "names": ["arena_size", "entries_off", "n_entries", "reserved0", "reserved1"],
    "formats": ["<u4", "<u4", "<u2", "<u2", "<u4"],
    "offsets": [0, 4, 8, 10, 12],
    "itemsize": 16,
})
PLAN_ENTRY = np.dtype({
    "names": ["kind", "reserved", "ref", "offset", "size", "first", "last"],
    "formats": ["u1", "u1", "<u2", "<u4", "<u4", "<u2", "<u2"],
    "offsets": [0, 1, 2, 4, 8, 12, 14],
    "itemsize": 16,
})
# PLAN section: PLAN_HEADER, n_modes PLAN_MODE (mode 0 boot, 1 lazy), then entries.
# Time steps in first/last: 0 is boot synthesis, 1 + i is layer i.


def align(n: int, a: int) -> int:
    """Round n up to a multiple of a."""
    return (n + a - 1) // a * a
