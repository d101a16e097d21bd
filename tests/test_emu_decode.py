"""Block decoding, effective addresses, ELF symbols: plain unit tests."""

from __future__ import annotations

from pathlib import Path

from mcusim.emu.decode import Branch, Kind, decode_block, effective_range
from mcusim.emu.elf import load_elf
from mcusim.emu.timing import block_end, core_model

ASM = Path(__file__).resolve().parents[1] / "firmware_images" / "asm_tests"


def words(*halfwords: int) -> bytes:
    return b"".join(h.to_bytes(2, "little") for h in halfwords)


def test_classes_registers_and_block_end():
    # ldr r0, [r1]; adds r0, #1; str r0, [r1, #4]; bne .-6
    insns = decode_block(words(0x6808, 0x3001, 0x6048, 0xD1FB), 0x1000)
    assert [i.kind for i in insns] == [Kind.LOAD, Kind.ALU, Kind.STORE, Kind.BRANCH]
    assert insns[0].loads == {0} and insns[0].addr_regs == {1}
    assert insns[2].addr_regs == {1} and 0 in insns[2].reads
    assert insns[3].cond and insns[3].target == 0x1000
    assert block_end(insns) == Branch.COND


def test_push_pop_and_register_counts():
    insns = decode_block(words(0xB530, 0xBD30), 0x2000)      # push {r4, r5, lr}; pop {r4, r5, pc}
    assert insns[0].kind == Kind.STORE_MULTIPLE and insns[0].nregs == 3
    assert insns[1].kind == Kind.LOAD_MULTIPLE and insns[1].nregs == 3 and insns[1].writes_pc
    assert block_end(insns) == Branch.INDIRECT


def test_undecodable_bytes_still_cover_the_block():
    insns = decode_block(b"\xff\xff\xff\xff", 0x3000)
    assert sum(i.size for i in insns) == 4 and insns[0].kind == Kind.UNKNOWN


def test_effective_range_forms():
    regs = {1: 0x20000000, 2: 3, 13: 0x20001000}.get
    ldr_index = decode_block(bytes.fromhex("51f82200"), 0)[0]      # ldr.w r0, [r1, r2, lsl #2]
    assert effective_range(ldr_index, regs) == (0x2000000C, 0x20000010)
    push = decode_block(words(0xB530), 0)[0]
    assert effective_range(push, regs) == (0x20001000 - 12, 0x20001000)
    literal = decode_block(words(0x4801), 0x102)[0]                # ldr r0, [pc, #4]
    assert effective_range(literal, regs) == (0x108, 0x10C)


def test_m4_table_costs_directly():
    m4 = core_model("cortex-m4")
    # ldr r0,[r1]; ldr r2,[r0]; ldr r4,[r3]: 2, 2 (address from the previous load), 1
    insns = decode_block(words(0x6808, 0x6802, 0x681C), 0)
    assert m4.block(insns).prefix == (0, 2, 4, 5)
    m0 = core_model("cortex-m0plus")
    assert m0.block(insns).static == 6


def test_symbols():
    elf = load_elf(ASM / "fault_cases.elf")
    addr = elf.symbol("do_udf").address
    assert elf.symbolize(addr) == "do_udf"
    assert elf.symbolize(addr + 2) == "do_udf+0x2"
    assert elf.address_of("__stack_limit", "nothing") == 0x20003800
