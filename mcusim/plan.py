"""Memory planning: where every arena buffer lives, per synthesis mode.

Planned once on the host and stored in the file, so the interpreter, the
firmware and the emulator's SRAM measurement use the very same offsets.
The placement rule is TFLite Micro's GreedyMemoryPlanner: buffers sorted by
size (largest first, ties by creation order), each placed at the lowest
aligned offset that does not overlap any already placed buffer whose lifetime
intersects its own.

Time steps: 0 is boot synthesis, 1 + i is layer i (lifetimes are inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass

from .format.spec import ARENA_ALIGN, Mode, PlanKind, align
from .model import MemoryPlan, Model, PlanEntry


@dataclass
class BufferRequest:
    """A buffer to place: what it is, its size and its lifetime."""
    kind: PlanKind
    ref: int
    size: int
    first: int
    last: int


SYNTH_ROWS = 8
"""Kernel rows synthesized per batch (``MCUSIM_SYNTH_ROWS`` in the firmware): the
micro-MLP and head FULLY_CONNECTED layers run on this many rows at once."""


def synth_workspace_size(model: Model) -> int:
    """Bytes of generator activations needed while synthesizing a kernel,
    ``SYNTH_ROWS`` rows at a time.

    The input vector (code ++ row embedding; kept in the layout although the
    firmware reads both in place), two ping-pong int8 buffers for ``SYNTH_ROWS``
    rows of the micro-MLP's outputs, and the int32 partial sums of the first
    layer over the code (the code is the same for every row of a layer, so its
    share of the first layer's accumulators is computed once per layer).
    """
    gen = model.generator
    if gen is None:
        return 0
    d_in = gen.d_code + gen.d_emb
    widest = max(fc.out_features for fc in gen.mlp)
    return align(d_in, 4) + 2 * align(SYNTH_ROWS * widest, 4) + 4 * gen.mlp[0].out_features


def generated_kernel_size(model: Model, gen_index: int) -> int:
    """Bytes of one synthesized PW kernel, [Cout, Cin] int8."""
    cout, cin = model.layer_weight_shape(model.generated[gen_index].layer)
    return cout * cin


def tensor_lifetimes(model: Model) -> dict[int, tuple[int, int]]:
    """Live range (first, last) of every activation tensor, in time steps."""
    n_steps = len(model.layers)
    first: dict[int, int] = {model.input_tensor: 1}
    last: dict[int, int] = {model.input_tensor: 1}
    for i, layer in enumerate(model.layers):
        step = 1 + i
        for t in layer.inputs:
            last[t] = max(last.get(t, step), step)
            first.setdefault(t, step)
        first.setdefault(layer.output, step)
        last[layer.output] = max(last.get(layer.output, step), step)
    for t in (model.output_tensor, model.class_tensor):
        last[t] = n_steps
    return {t: (first[t], last[t]) for t in first}


def buffer_requests(model: Model, mode: Mode) -> list[BufferRequest]:
    """Every buffer a mode needs, in a fixed order (activations first)."""
    requests = [BufferRequest(PlanKind.ACTIVATION, t, model.tensors[t].nbytes, lo, hi)
                for t, (lo, hi) in sorted(tensor_lifetimes(model).items())]
    if not model.generated:
        return requests
    steps = [1 + g.layer for g in model.generated]
    workspace = synth_workspace_size(model)
    if mode == Mode.BOOT:
        last = len(model.layers)
        requests += [BufferRequest(PlanKind.KERNEL_CACHE, g, generated_kernel_size(model, g), 0, last)
                     for g in range(len(model.generated))]
        requests.append(BufferRequest(PlanKind.SYNTH_WORKSPACE, 0, workspace, 0, 0))
    else:
        largest = max(generated_kernel_size(model, g) for g in range(len(model.generated)))
        requests.append(BufferRequest(PlanKind.KERNEL_SCRATCH, 0, largest, min(steps), max(steps)))
        requests.append(BufferRequest(PlanKind.SYNTH_WORKSPACE, 0, workspace, min(steps), max(steps)))
    return requests


def _overlaps_in_time(a: BufferRequest | PlanEntry, b: BufferRequest | PlanEntry) -> bool:
    return a.first <= b.last and b.first <= a.last


def place_greedy(requests: list[BufferRequest], alignment: int = ARENA_ALIGN) -> MemoryPlan:
    """Place buffers largest first at the lowest offset free during their lifetime."""
    order = sorted(range(len(requests)), key=lambda i: (-requests[i].size, i))
    placed: dict[int, PlanEntry] = {}
    for i in order:
        req = requests[i]
        live = sorted((e for e in placed.values() if _overlaps_in_time(e, req)),
                      key=lambda e: e.offset)
        offset = 0
        for other in live:
            if offset + req.size <= other.offset:
                break
            offset = max(offset, align(other.offset + other.size, alignment))
        placed[i] = PlanEntry(req.kind, req.ref, offset, req.size, req.first, req.last)
    entries = [placed[i] for i in range(len(requests))]
    arena = max((align(e.offset + e.size, alignment) for e in entries), default=0)
    return MemoryPlan(arena_size=arena, entries=entries)


def plan_memory(model: Model) -> dict[Mode, MemoryPlan]:
    """The memory plan of both synthesis modes."""
    return {mode: place_greedy(buffer_requests(model, mode)) for mode in (Mode.BOOT, Mode.LAZY)}


def plan_conflicts(plan: MemoryPlan) -> list[str]:
    """Why a plan is unusable: buffers overlapping while both live, or past the arena."""
    problems = []
    for i, a in enumerate(plan.entries):
        if a.offset + a.size > plan.arena_size:
            problems.append(f"buffer {i} ({a.kind.name.lower()} {a.ref}) ends at "
                            f"{a.offset + a.size}, past the arena of {plan.arena_size} bytes")
        for j in range(i + 1, len(plan.entries)):
            b = plan.entries[j]
            if (a.size and b.size and _overlaps_in_time(a, b)
                    and a.offset < b.offset + b.size and b.offset < a.offset + a.size):
                problems.append(f"buffers {i} ({a.kind.name.lower()} {a.ref}) and {j} "
                                f"({b.kind.name.lower()} {b.ref}) overlap in the arena while both are live")
    return problems


def activation_peak(plan: MemoryPlan) -> int:
    """Highest arena byte used by activations alone (for reports)."""
    acts = plan.of_kind(PlanKind.ACTIVATION)
    return max((e.offset + e.size for e in acts), default=0)


__all__ = ["BufferRequest", "buffer_requests", "place_greedy", "plan_memory", "plan_conflicts",
           "SYNTH_ROWS", "synth_workspace_size", "generated_kernel_size", "tensor_lifetimes", "activation_peak"]
