"""The compiled block hook: cycle and instruction accounting at native speed.

Unicorn calls a UC_HOOK_BLOCK callback at the start of every translated block
with ``(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)``.
Ours is a Numba ``@cfunc`` registered through Unicorn's C API
(``uc_hook_add`` with the cfunc's address), so no Python runs per block.
``user_data`` points at a ``State`` int64 array: counters, parameters and
the addresses of the other arrays (block hash table, block records, fetch
cache), so one compiled function serves every machine and is cached on disk.

Per block the hook:

1. finds the block id: first in the previous block's one-entry successor
   cache, then in an open-addressing hash table keyed by
   ``(size << 32) | address``; on a miss it calls the machine's Python miss
   handler (a ctypes callback whose address is in the state) once, which
   decodes the block with Capstone, costs it with the core's table and
   inserts it;
2. settles the previous block's final branch now that the next address is
   known: taken or not (conditional branches, IT blocks), the refill, the
   alignment penalty, or the M7 predictor's verdict;
3. checks the stack pointer after blocks that wrote SP (stack limit, peak);
4. enforces the instruction budget (stopping *before* the block runs);
5. charges flash fetch wait states through the fetch-line cache model;
6. adds the block's static cycles and instruction count.

The machine reads the counters between runs and inside its (rare) MMIO and
fault callbacks. docs/emulator.md explains the wiring and what is fragile.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

# Numba options of the emulator's compiled code, in one place: cached on disk
# (first run of an installation compiles, about 2 s), no bounds checks in the
# hook (indices come from tables the Python side filled).
CFUNC_OPTIONS = dict(nopython=True, cache=True)
# Helpers the hook calls are inlined into it at Numba IR level (inline="always"):
# as separate functions they cost more per block than the accounting itself.

# ---- state layout (int64 slots) -------------------------------------------------
S_INSN = 0            # instructions executed
S_CYC = 1             # cycles, including the whole current block
S_BLOCK_CYC = 2       # cycles before the current block (its fetch wait states excluded)
S_BLOCK_INSN = 3      # instructions before the current block
S_PREV = 4            # id of the current (last entered) block, -1 before the first
S_PROFILE = 5         # 1: keep per-block counts and cycles (F_COUNT, F_CYCLES)
S_BUDGET = 6          # instruction budget (the run stops before exceeding it)
S_STOP = 7            # why the hook stopped the run (STOP_*)
S_STOP_VALUE = 8      # SP at a stack overflow
S_STACK_LIMIT = 9     # lowest legal SP
S_MIN_SP = 10         # lowest SP seen at a block boundary
S_HKEYS = 11          # address of the hash keys (int64[mask+1])
S_HVALS = 12          # address of the hash values (int64[mask+1])
S_HMASK = 13
S_REC = 14            # address of the block records (int64[cap, NF])
S_REC_CAP = 15
S_MISS_FN = 16        # address of the miss handler: int64 (*)(uint64 address, uint32 size)
S_STOP_FN = 17        # address of uc_emu_stop
S_REGREAD_FN = 18     # address of uc_reg_read
S_SP_REG = 19         # Unicorn's register id of SP
S_SCRATCH = 20        # uc_reg_read writes here
S_PREDICT = 21        # 1: M7 predictor; 0: fixed refill on taken branches
S_MISPREDICT = 22
S_ALIGN_PEN = 23      # 1: +1 refill cycle to a 32-bit target at a halfword address
S_UNUSED_24 = 24
S_FETCH_ON = 25
S_FETCH_PEN = 26
S_FETCH_SETS = 27
S_FETCH_WAYS = 28
S_FETCH_PREFETCH = 29
S_FETCH_TAGS = 30     # address of int64[sets*ways] line tags (-1 empty)
S_FETCH_STAMPS = 31   # address of int64[sets*ways] LRU stamps
S_FETCH_CLOCK = 32
S_FETCH_LAST = 33     # the line in the fetch buffer
S_FETCH_MISSES = 34
S_FETCH_CYC = 35      # cycles charged for fetch misses
S_BRANCH_CYC = 36     # cycles charged for taken branches / mispredictions
S_TAKEN_COUNT = 37
S_MISPRED_COUNT = 38
S_LINE_COST = 40      # fetch cycles of the current block's lines 0..6, and 7 onwards
N_LINE_COST = 8
N_STATE = 48

STOP_NONE, STOP_BUDGET, STOP_STACK = 0, 1, 2

# ---- block record fields (the ones read on every block first: one cache line) ----------
F_NINSN = 0           # instructions in the block
F_STATIC = 1          # static cycles (the core table)
F_FALL = 2            # fall-through address (address + size)
F_BRKIND = 3          # decode.Branch
F_TAKEN_EXTRA = 4     # refill cycles of a taken final branch
F_FLAGS = 5           # FLAG_*
F_NEXT_KEY = 6        # key of the block that followed this one last time, and its id:
F_NEXT_BID = 7        # a one-entry successor cache in front of the hash table
F_FIRST32 = 8         # first instruction is 32-bit (alignment penalty as a branch target)
F_FETCH = 9           # 1 if the block is fetched from a flash region with wait states
F_PRED = 10           # M7: 2-bit counter (>= 2 predicts taken)
F_LAST_TARGET = 11    # M7: last target of an indirect branch
F_COUNT = 12          # times entered (when profiling)
F_CYCLES = 13         # cycles charged to this block (when profiling)
F_LINE0 = 14          # first and last fetch line numbers of the block
F_LINE1 = 15
NF = 16

FLAG_SP = 1           # the block writes SP: check it at the next block boundary

BLOCK_HOOK_SIG = types.void(types.voidptr, types.uint64, types.uint32, types.voidptr)
MISS_CFUNCTYPE = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, ctypes.c_uint32)


@intrinsic
def _ptr(typingctx, addr):
    """An int64 address as a void pointer (for carray)."""
    sig = types.voidptr(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())
    return sig, codegen


@intrinsic
def _call_miss(typingctx, fn, address, size):
    """Call the miss handler at address `fn`: int64 fn(uint64 address, uint32 size)."""
    sig = types.int64(types.int64, types.uint64, types.uint32)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [ir.IntType(64), ir.IntType(32)])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [args[1], args[2]])
    return sig, codegen


@intrinsic
def _call_stop(typingctx, fn, uc):
    """uc_emu_stop(uc) through its address."""
    sig = types.int32(types.int64, types.voidptr)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(8).as_pointer()])
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [args[1]])
    return sig, codegen


@intrinsic
def _call_reg_read(typingctx, fn, uc, regid, out):
    """uc_reg_read(uc, regid, (void *)out) through its address."""
    sig = types.int32(types.int64, types.voidptr, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.IntType(32), [i8p, ir.IntType(32), i8p])
        regid = builder.trunc(args[2], ir.IntType(32))
        out = builder.inttoptr(args[3], i8p)
        return builder.call(builder.inttoptr(args[0], fnty.as_pointer()), [args[1], regid, out])
    return sig, codegen


@intrinsic
def _address_of(typingctx, p):
    """A void pointer as an int64 address."""
    sig = types.int64(types.voidptr)

    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], ir.IntType(64))
    return sig, codegen


@njit(inline="always")
def _fetch_cost(st, rec, b, taken):
    """Wait-state cycles to fetch the lines of the block at record offset `b`
    (see mcusim.emu.flash)."""
    line0 = rec[b + F_LINE0]
    line1 = rec[b + F_LINE1]
    sets = st[S_FETCH_SETS]
    ways = st[S_FETCH_WAYS]
    n = sets * ways
    tags = carray(_ptr(st[S_FETCH_TAGS]), max(n, 1), dtype=np.int64)
    stamps = carray(_ptr(st[S_FETCH_STAMPS]), max(n, 1), dtype=np.int64)
    cost = 0
    line = line0
    while line <= line1:
        hit = line == st[S_FETCH_LAST]
        if not hit and ways > 0:
            base = (line & (sets - 1)) * ways
            victim = base
            oldest = stamps[base]
            for w in range(ways):
                j = base + w
                if tags[j] == line:
                    hit = True
                    victim = j
                    break
                if stamps[j] < oldest:
                    oldest = stamps[j]
                    victim = j
            st[S_FETCH_CLOCK] += 1
            stamps[victim] = st[S_FETCH_CLOCK]
            tags[victim] = line
        paid = np.int64(0)
        if not hit:
            sequential = line != line0 or not taken
            if not (st[S_FETCH_PREFETCH] != 0 and sequential):
                paid = st[S_FETCH_PEN]
                st[S_FETCH_MISSES] += 1
        # per-line costs, so that an access inside the block sees only the lines
        # fetched up to its instruction
        slot = min(line - line0, N_LINE_COST - 1)
        if slot == line - line0:
            st[S_LINE_COST + slot] = paid
        else:
            st[S_LINE_COST + slot] += paid
        cost += paid
        st[S_FETCH_LAST] = line
        line += 1
    return cost


@njit(inline="always")
def _lookup(st, address, size, key):
    """Block id of (address, size) from the hash table; the miss handler on a miss."""
    mask = st[S_HMASK]
    keys = carray(_ptr(st[S_HKEYS]), mask + 1, dtype=np.int64)
    h = ((np.int64(address) >> 1) * 40503 + np.int64(size)) & mask
    while True:
        k = keys[h]
        if k == key:
            vals = carray(_ptr(st[S_HVALS]), mask + 1, dtype=np.int64)
            return vals[h]
        if k == 0:
            return _call_miss(st[S_MISS_FN], address, size)
        h = (h + 1) & mask


@njit(inline="always")
def _predicted_cost(st, rec, p, addr, kind, taken):
    """M7: cycles lost by the previous block's final branch under the predictor."""
    extra = np.int64(0)
    if kind == 2:
        c = rec[p + F_PRED]
        if (c >= 2) != taken:
            extra = st[S_MISPREDICT]
            st[S_MISPRED_COUNT] += 1
        if taken:
            rec[p + F_PRED] = min(c + 1, 3)
        else:
            rec[p + F_PRED] = max(c - 1, 0)
    elif kind == 3 and rec[p + F_LAST_TARGET] != addr:
        extra = st[S_MISPREDICT]
        st[S_MISPRED_COUNT] += 1
        rec[p + F_LAST_TARGET] = addr
    return extra


@cfunc(BLOCK_HOOK_SIG, **CFUNC_OPTIONS)
def block_hook(uc, address, size, user_data):
    st = carray(user_data, N_STATE, dtype=np.int64)
    addr = np.int64(address)
    key = (np.int64(size) << 32) | addr
    prev = st[S_PREV]
    rec = carray(_ptr(st[S_REC]), st[S_REC_CAP] * NF, dtype=np.int64)
    p = prev * NF
    # 1. block id: the previous block's last successor, else the hash table
    if prev >= 0 and rec[p + F_NEXT_KEY] == key:
        bid = rec[p + F_NEXT_BID]
    else:
        bid = _lookup(st, address, size, key)
        if bid < 0:                       # the machine stopped the run (a fault)
            return
        rec = carray(_ptr(st[S_REC]), st[S_REC_CAP] * NF, dtype=np.int64)
        if prev >= 0:
            rec[p + F_NEXT_KEY] = key
            rec[p + F_NEXT_BID] = bid
    b = bid * NF
    cyc = st[S_CYC]
    taken = True
    if prev >= 0:
        # 2. the previous block's final branch, now that its successor is known
        kind = rec[p + F_BRKIND]
        taken = kind != 0 and (kind != 2 or addr != rec[p + F_FALL])
        extra = np.int64(0)
        if st[S_PREDICT] != 0:
            if kind != 0:
                extra = _predicted_cost(st, rec, p, addr, kind, taken)
        elif taken:
            extra = rec[p + F_TAKEN_EXTRA]
            if st[S_ALIGN_PEN] != 0 and rec[b + F_FIRST32] != 0 and (addr & 2) != 0:
                extra += 1
        if taken:
            st[S_TAKEN_COUNT] += 1
        if extra != 0:
            cyc += extra
            st[S_BRANCH_CYC] += extra
            if st[S_PROFILE] != 0:
                rec[p + F_CYCLES] += extra
        # 3. stack pointer after a block that wrote it
        if rec[p + F_FLAGS] & FLAG_SP:
            st[S_SCRATCH] = 0
            _call_reg_read(st[S_REGREAD_FN], uc, st[S_SP_REG],
                           _address_of(user_data) + 8 * S_SCRATCH)
            sp = st[S_SCRATCH] & 0xFFFFFFFF
            if sp < st[S_MIN_SP]:
                st[S_MIN_SP] = sp
            if sp < st[S_STACK_LIMIT]:
                st[S_CYC] = cyc
                st[S_STOP] = STOP_STACK
                st[S_STOP_VALUE] = sp
                _call_stop(st[S_STOP_FN], uc)
                return
    # 4. instruction budget: stop before the block runs
    n = rec[b + F_NINSN]
    insn = st[S_INSN]
    if insn + n > st[S_BUDGET]:
        st[S_CYC] = cyc
        st[S_STOP] = STOP_BUDGET
        _call_stop(st[S_STOP_FN], uc)
        return
    # 5. flash fetch wait states
    static = rec[b + F_STATIC]
    st[S_BLOCK_CYC] = cyc
    if st[S_FETCH_ON] != 0 and rec[b + F_FETCH] != 0:
        fetch = _fetch_cost(st, rec, b, taken)
        st[S_FETCH_CYC] += fetch
        cyc += fetch
        if st[S_PROFILE] != 0:
            rec[b + F_CYCLES] += fetch
    # 6. the block itself
    st[S_BLOCK_INSN] = insn
    st[S_CYC] = cyc + static
    st[S_INSN] = insn + n
    st[S_PREV] = bid
    if st[S_PROFILE] != 0:
        rec[b + F_COUNT] += 1
        rec[b + F_CYCLES] += static


def hash_slot(address: int, size: int, mask: int) -> int:
    """The first slot the hook probes for a block (must match block_hook)."""
    return (((address >> 1) * 40503 + size) & 0xFFFFFFFFFFFFFFFF) & mask


def block_key(address: int, size: int) -> int:
    return (size << 32) | address


__all__ = ["block_hook", "hash_slot", "block_key", "MISS_CFUNCTYPE", "N_STATE", "NF"]
