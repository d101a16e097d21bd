"""Per-core cycle tables: the static cost of a decoded block and how it ends.

Each core module turns a block's :class:`~mcusim.emu.decode.Insn` list into a
:class:`BlockTiming`: the cycles before every instruction (so a DWT_CYCCNT
read or a fault in the middle of a block gets its exact cycle), the static
total, how the block ends (no branch, direct, conditional, indirect) and the
refill cycles a taken final branch adds. The compiled block hook
(:mod:`mcusim.emu.hook`) adds those dynamic costs when it sees where execution
went next. docs/cycle-model.md gives the source of every figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decode import Branch, Insn, Kind

CORES = ("cortex-m0plus", "cortex-m4", "cortex-m7")


@dataclass(frozen=True)
class BlockTiming:
    prefix: tuple[int, ...]   # prefix[k]: cycles of instructions 0..k-1; prefix[-1]: static total
    branch: Branch            # how the block ends
    taken_extra: int          # pipeline refill cycles when the final branch is taken

    @property
    def static(self) -> int:
        return self.prefix[-1]


@dataclass(frozen=True)
class CoreModel:
    """What the compiled hook needs to know about a core besides block costs."""
    name: str
    align_penalty: bool       # +1 refill cycle when a taken branch lands on a 32-bit
                              # instruction at a halfword (not word) address (Cortex-M4)
    predictor: bool           # dynamic branch prediction (Cortex-M7 approximation)
    mispredict: int           # cycles of a mispredicted branch (predictor only)
    expected_error: str       # how far the model may be from silicon, for reports

    def block(self, insns: list[Insn], *, multiplier_cycles: int = 1) -> BlockTiming:
        raise NotImplementedError


def block_end(insns: list[Insn]) -> Branch:
    """How a block ends: Unicorn ends a translated block after any PC write."""
    last = insns[-1] if insns else None
    if last is None or not last.writes_pc:
        return Branch.NONE
    if last.cond:
        return Branch.COND
    if last.kind == Kind.BRANCH and last.target is not None:
        return Branch.DIRECT
    return Branch.INDIRECT


def core_model(name: str) -> CoreModel:
    """The timing model of core `name` (one of :data:`CORES`)."""
    if name == "cortex-m0plus":
        from .m0plus import MODEL
    elif name == "cortex-m4":
        from .m4 import MODEL
    elif name == "cortex-m7":
        from .m7 import MODEL
    else:
        raise KeyError(f"unknown core {name!r}; choose one of: {', '.join(CORES)}")
    return MODEL


__all__ = ["CORES", "BlockTiming", "CoreModel", "block_end", "core_model"]
