"""Write firmware_images/manifest.json: what built each image and what is in it.

    python3 tools/manifest.py OUT_DIR TARGET... -- CFLAGS... -- LDFLAGS...

Standard library only (it runs inside `make`). Deterministic: the same
sources, compiler and flags give the same bytes. Per image: the file's
SHA-256, its target and flags, section sizes (.text, .rodata, .data, .bss, ...),
flash used, and the addresses of the symbols the emulator needs.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

SOURCE_DIRS = ("include", "src", "arch", "targets", "tools")
SOURCE_FILES = ("Makefile",)
SYMBOLS = ("Reset_Handler", "mcusim_mailbox", "mcusim_vectors", "__model_start", "__model_end",
           "__arena_start", "__arena_end", "__stack_limit", "__stack_top", "__data_start",
           "__data_end", "__bss_start", "__bss_end", "__flash_used")
FLASH_SECTIONS = (".text", ".rodata", ".ARM.exidx", ".data")


def source_files(root: Path) -> list[Path]:
    files = [root / f for f in SOURCE_FILES]
    for d in SOURCE_DIRS:
        files += [p for p in (root / d).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def source_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in source_files(root):
        rel = p.relative_to(root).as_posix().encode()
        data = p.read_bytes()
        h.update(struct.pack("<I", len(rel)) + rel + struct.pack("<Q", len(data)) + data)
    return h.hexdigest()


def elf_sections_and_symbols(data: bytes) -> tuple[dict, dict]:
    """Sizes of the allocated sections and values of global symbols of an ELF32 LE file."""
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise ValueError("not a 32-bit little-endian ELF file")
    e_shoff, = struct.unpack_from("<I", data, 0x20)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    shdrs = [struct.unpack_from("<IIIIIIIIII", data, e_shoff + i * e_shentsize)
             for i in range(e_shnum)]
    names = shdrs[e_shstrndx]

    def cstr(off: int) -> str:
        end = data.index(b"\0", off)
        return data[off:end].decode()

    sections, symbols = {}, {}
    for sh in shdrs:
        name = cstr(names[4] + sh[0])
        sh_type, flags, size = sh[1], sh[2], sh[5]
        if flags & 2:    # SHF_ALLOC
            sections[name] = {"address": f"0x{sh[3]:08x}", "size": size}
        if sh_type == 2:  # SHT_SYMTAB
            strtab = shdrs[sh[6]]
            for k in range(sh[5] // 16):
                st_name, st_value, st_size, st_info, _, _ = struct.unpack_from(
                    "<IIIBBH", data, sh[4] + 16 * k)
                sym = cstr(strtab[4] + st_name) if st_name else ""
                if sym in SYMBOLS:
                    symbols[sym] = f"0x{st_value & ~1 if sym == 'Reset_Handler' else st_value:08x}"
    return sections, symbols


def compiler_version(cc: str) -> str:
    out = subprocess.run([cc, "--version"], check=True, capture_output=True, text=True).stdout
    return out.splitlines()[0].strip()


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0])
    rest = argv[1:]
    split = rest.index("--")
    targets, flags = rest[:split], rest[split + 1:]
    split = flags.index("--")
    cflags, ldflags = flags[:split], flags[split + 1:]
    root = Path(__file__).resolve().parent.parent
    # The build directory differs between checkouts: record it as <kernels>.
    cflags = [f.replace(str(root), "<kernels>") for f in cflags]
    images = {}
    for name in targets:
        elf = out_dir / f"{name}.elf"
        data = elf.read_bytes()
        sections, symbols = elf_sections_and_symbols(data)
        sizes = {k: v["size"] for k, v in sorted(sections.items())}
        target_flags = (root / "targets" / f"{name}.flags").read_text().split()
        images[name] = {
            "file": elf.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "target_flags": target_flags,
            "sections": sizes,
            "text": sizes.get(".text", 0),
            "flash_used": sum(sizes.get(s, 0) for s in FLASH_SECTIONS),
            "static_sram": sum(sizes.get(s, 0) for s in (".mailbox", ".data", ".bss")),
            "arena": sizes.get(".arena", 0),
            "stack": sizes.get(".stack", 0),
            "symbols": dict(sorted(symbols.items())),
        }
    manifest = {
        "about": "mcusim firmware images: built by kernels/Makefile, described by kernels/tools/manifest.py",
        "compiler": compiler_version("arm-none-eabi-gcc"),
        "cflags": cflags,
        "ldflags": ldflags,
        "source_sha256": source_hash(root),
        "images": images,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
