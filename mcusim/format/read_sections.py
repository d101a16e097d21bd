"""Readers of the GENERATOR, HEADS, CODES and PLAN sections (rules R, K, P1..P3).

Each returns the decoded model part; the cross-checks between parts are in
:mod:`mcusim.format.validate`.
"""

from __future__ import annotations

import numpy as np

from . import spec, validate
from .layout import fail, hexoff, records
from .spec import MAX_FC, MAX_LAYERS, Mode, PlanKind, SectionKind
from .view import FileView


def read_fc(view: FileView, rec: np.void, at: int, what: str, kind: SectionKind):
    """One FC_DESC (rule R4): a micro-MLP layer or a head, arrays in its own section."""
    from ..model import FC
    sec = kind.name.lower()
    view.zero(rec, ("reserved",), what, at, sec)
    in_f, out_f = int(rec["in_features"]), int(rec["out_features"])
    if in_f < 1 or out_f < 1:
        fail(f"{what}: shape [{out_f}, {in_f}] has a zero dimension", at, sec)
    w, _ = view.array(int(rec["w_off"]), in_f * out_f, "<i1", (kind,), f"{what}: weights",
                      at, sec)
    b, _ = view.array(int(rec["b_off"]), out_f, "<i4", (kind,), f"{what}: bias", at, sec)
    mult, shift = int(rec["mult"]), int(rec["shift"])
    validate.check_requant(np.array([mult]), np.array([shift]), what, at, sec)
    act_min, act_max = int(rec["act_min"]), int(rec["act_max"])
    if act_min > act_max:
        fail(f"{what}: act_min {act_min} > act_max {act_max}", at, sec)
    for key in ("in_zp", "out_zp"):
        if not -128 <= int(rec[key]) <= 127:
            fail(f"{what}: {key} {int(rec[key])} is outside int8 (-128..127)", at, sec)
    return FC(weights=w.reshape(out_f, in_f), bias=b, mult=mult, shift=shift,
              in_zp=int(rec["in_zp"]), out_zp=int(rec["out_zp"]), act_min=act_min,
              act_max=act_max,
              w_scale=view.finite(rec["w_scale"], f"{what}: w_scale", at, sec),
              out_scale=view.finite(rec["out_scale"], f"{what}: out_scale", at, sec))


def read_generator(view: FileView):
    """GENERATOR and HEADS (rules R1..R5)."""
    from ..model import Generator
    s = view.section(SectionKind.GENERATOR)
    h, fcs = view.headed_records(SectionKind.GENERATOR, spec.GENERATOR_HEADER, spec.FC_DESC,
                                 "n_fc", (1, MAX_FC))
    where = f"generator header at offset {hexoff(s.offset)}"
    view.zero(h, ("reserved",), where, s.offset, s.name)
    d_code, d_emb, rows = int(h["d_code"]), int(h["d_emb"]), int(h["n_emb_rows"])
    for key, v in (("d_code", d_code), ("d_emb", d_emb), ("n_emb_rows", rows)):
        if v < 1:
            fail(f"{where}: {key} must be at least 1", s.offset, s.name)
    if not -128 <= int(h["in_zp"]) <= 127:
        fail(f"{where}: in_zp {int(h['in_zp'])} is outside int8 (-128..127)", s.offset, s.name)
    in_scale = view.finite(h["in_scale"], f"{where}: in_scale", s.offset, s.name, positive=True)
    emb, _ = view.array(int(h["emb_off"]), rows * d_emb, "<i1", (SectionKind.GENERATOR,),
                        f"{where}: embeddings", s.offset, s.name)
    mlp = [read_fc(view, rec, view.loc.record(SectionKind.GENERATOR, i),
                   f"generator layer {i} at offset "
                   f"{hexoff(view.loc.record(SectionKind.GENERATOR, i))}",
                   SectionKind.GENERATOR) for i, rec in enumerate(fcs)]
    hs = view.section(SectionKind.HEADS)
    hh, head_recs = view.headed_records(SectionKind.HEADS, spec.HEADS_HEADER, spec.FC_DESC,
                                        "n_heads", (1, MAX_LAYERS))
    view.zero(hh, ("reserved",), f"heads header at offset {hexoff(hs.offset)}", hs.offset,
              hs.name)
    heads = [read_fc(view, rec, view.loc.record(SectionKind.HEADS, h),
                     f"head {h} at offset {hexoff(view.loc.record(SectionKind.HEADS, h))}",
                     SectionKind.HEADS) for h, rec in enumerate(head_recs)]
    return Generator(d_code=d_code, in_scale=in_scale, in_zp=int(h["in_zp"]),
                     embeddings=emb.reshape(rows, d_emb), mlp=mlp, heads=heads)


def read_codes(view: FileView, model, n_generated: int):
    """CODES: header and code entries (rules K1..K3)."""
    from ..model import GeneratedLayer
    s = view.section(SectionKind.CODES)
    h, entries = view.headed_records(SectionKind.CODES, spec.CODES_HEADER, spec.CODE_ENTRY,
                                     "n_generated", (1, MAX_LAYERS))
    if len(entries) != n_generated:
        fail(f"codes header at offset {hexoff(s.offset)}: n_generated {len(entries)} does not "
             f"match the model info's {n_generated}", s.offset, s.name)
    d_code = int(h["d_code"])
    if d_code != model.generator.d_code:
        fail(f"codes header at offset {hexoff(s.offset)}: d_code {d_code} does not match the "
             f"generator's {model.generator.d_code}", s.offset, s.name)
    out = []
    for g, rec in enumerate(entries):
        at = view.loc.record(SectionKind.CODES, g)
        what = f"code entry {g} at offset {hexoff(at)}"
        layer, head = int(rec["layer"]), int(rec["head"])
        if layer >= len(model.layers):
            fail(f"{what}: layer {layer} is out of range (the model has {len(model.layers)} "
                 f"layers)", at, s.name)
        if head >= len(model.generator.heads):
            fail(f"{what}: head {head} is out of range (the generator has "
                 f"{len(model.generator.heads)} heads)", at, s.name)
        code, _ = view.array(int(rec["code_off"]), d_code, "<i1", (SectionKind.CODES,),
                             f"{what}: code", at, s.name)
        out.append(GeneratedLayer(layer=layer, head=head, code=code))
    return out


def read_plans(view: FileView, model):
    """PLAN: header, both modes and their entries (rules P1..P3); returns the plans
    and the file offset of each mode's first entry."""
    from ..model import MemoryPlan, PlanEntry
    s = view.section(SectionKind.PLAN)
    where = f"plan header at offset {hexoff(s.offset)}"
    if s.length >= spec.PLAN_HEADER.itemsize:
        n_modes = int(records(view.data, spec.PLAN_HEADER, s.offset, 1)[0]["n_modes"])
        if n_modes != len(Mode):
            fail(f"{where}: n_modes is {n_modes}, format 1.0 plans have {len(Mode)} "
                 f"(boot, lazy)", s.offset, s.name)
    h, modes = view.headed_records(SectionKind.PLAN, spec.PLAN_HEADER, spec.PLAN_MODE,
                                   "n_modes", (len(Mode), len(Mode)))
    view.zero(h, ("reserved",), where, s.offset, s.name)
    if int(h["alignment"]) != spec.ARENA_ALIGN:
        fail(f"{where}: alignment {int(h['alignment'])}, format 1.0 plans align buffers to "
             f"{spec.ARENA_ALIGN} bytes", s.offset, s.name)
    limit = len(model.tensors) + len(model.generated) + 2
    plans, entries_at = {}, {}
    for m, rec in enumerate(modes):
        mode = Mode(m)
        at = view.loc.record(SectionKind.PLAN, m)
        what = f"{spec.MODE_NAMES[mode]} plan at offset {hexoff(at)}"
        view.zero(rec, ("reserved0", "reserved1"), what, at, s.name)
        count = int(rec["n_entries"])
        if not 1 <= count <= limit:
            fail(f"{what}: {count} entries, out of range (1..{limit} for this model)", at, s.name)
        raw, _ = view.array(int(rec["entries_off"]), count * spec.PLAN_ENTRY.itemsize, "u1",
                            (SectionKind.PLAN,), f"{what}: entries", at, s.name)
        entries = []
        for j, e in enumerate(raw.view(spec.PLAN_ENTRY)):
            e_at = int(rec["entries_off"]) + j * spec.PLAN_ENTRY.itemsize
            e_what = f"{spec.MODE_NAMES[mode]} plan entry {j} at offset {hexoff(e_at)}"
            kind = int(e["kind"])
            if kind not in {int(k) for k in PlanKind}:
                fail(f"{e_what}: unknown buffer kind {kind}", e_at, s.name)
            view.zero(e, ("reserved",), e_what, e_at, s.name)
            first, last, offset = int(e["first"]), int(e["last"]), int(e["offset"])
            if not first <= last <= len(model.layers):
                fail(f"{e_what}: lifetime {first}..{last} is not within time steps "
                     f"0..{len(model.layers)}", e_at, s.name)
            if offset % spec.ARENA_ALIGN:
                fail(f"{e_what}: arena offset {offset} is not a multiple of "
                     f"{spec.ARENA_ALIGN}", e_at, s.name)
            entries.append(PlanEntry(PlanKind(kind), int(e["ref"]), offset, int(e["size"]),
                                     first, last))
        plans[mode] = MemoryPlan(arena_size=int(rec["arena_size"]), entries=entries)
        entries_at[mode] = int(rec["entries_off"])
    return plans, entries_at


__all__ = ["read_fc", "read_generator", "read_codes", "read_plans"]
