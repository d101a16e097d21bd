"""ARM semihosting (``BKPT 0xAB`` on M-profile): the program's console and exit.

Operation in r0, parameter (a value or a pointer to a parameter block) in
r1, result back in r0; the debugger, here the emulator, resumes after the
BKPT. Supported: SYS_OPEN (":tt" for the console and ":semihosting-features",
which advertises SYS_EXIT_EXTENDED and separate stdout/stderr so newlib's
rdimon passes exit codes), SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE,
SYS_READ, SYS_READC, SYS_ISERROR, SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_CLOCK,
SYS_TIME, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO, SYS_EXIT,
SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ. Times are *modelled* time
(cycles at the target clock), so runs stay deterministic. No host file is
ever opened. Anything else returns -1 and is noted in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SYS_OPEN, SYS_CLOSE, SYS_WRITEC, SYS_WRITE0, SYS_WRITE, SYS_READ, SYS_READC = 1, 2, 3, 4, 5, 6, 7
SYS_ISERROR, SYS_ISTTY, SYS_SEEK, SYS_FLEN, SYS_TMPNAM, SYS_REMOVE, SYS_RENAME = 8, 9, 10, 12, 13, 14, 15
SYS_CLOCK, SYS_TIME, SYS_SYSTEM, SYS_ERRNO, SYS_GET_CMDLINE, SYS_HEAPINFO = 16, 17, 18, 19, 21, 22
SYS_EXIT, SYS_EXIT_EXTENDED, SYS_ELAPSED, SYS_TICKFREQ = 0x18, 0x20, 0x30, 0x31

ADP_STOPPED_APPLICATION_EXIT = 0x20026

NAMES = {SYS_OPEN: "SYS_OPEN", SYS_CLOSE: "SYS_CLOSE", SYS_WRITEC: "SYS_WRITEC",
         SYS_WRITE0: "SYS_WRITE0", SYS_WRITE: "SYS_WRITE", SYS_READ: "SYS_READ",
         SYS_READC: "SYS_READC", SYS_ISERROR: "SYS_ISERROR", SYS_ISTTY: "SYS_ISTTY",
         SYS_SEEK: "SYS_SEEK", SYS_FLEN: "SYS_FLEN", SYS_TMPNAM: "SYS_TMPNAM",
         SYS_REMOVE: "SYS_REMOVE", SYS_RENAME: "SYS_RENAME", SYS_CLOCK: "SYS_CLOCK",
         SYS_TIME: "SYS_TIME", SYS_SYSTEM: "SYS_SYSTEM", SYS_ERRNO: "SYS_ERRNO",
         SYS_GET_CMDLINE: "SYS_GET_CMDLINE", SYS_HEAPINFO: "SYS_HEAPINFO", SYS_EXIT: "SYS_EXIT",
         SYS_EXIT_EXTENDED: "SYS_EXIT_EXTENDED", SYS_ELAPSED: "SYS_ELAPSED",
         SYS_TICKFREQ: "SYS_TICKFREQ"}

STDIN, STDOUT, STDERR, FEATURES = 1, 2, 3, 4     # handles given out by SYS_OPEN
_FEATURE_BYTES = b"SHFB\x03"                      # EXIT_EXTENDED | STDOUT_STDERR


class ProgramExit(Exception):
    """The program ended through SYS_EXIT / SYS_EXIT_EXTENDED."""

    def __init__(self, code: int, reason: int):
        super().__init__(code)
        self.code = code
        self.reason = reason


@dataclass
class Semihosting:
    memory: object                  # MemoryMap: read(address, n), write(address, data)
    cycles: object                  # callable() -> modelled cycles now
    clock_hz: int
    write_out: object               # callable(bytes, stream) with stream "stdout" or "stderr"
    notes: set = field(default_factory=set)
    calls: int = 0
    _feature_pos: int = 0

    def call(self, op: int, param: int) -> int:
        """Perform operation `op`; returns the value for r0 (raises ProgramExit)."""
        self.calls += 1
        m = self.memory
        if op == SYS_WRITEC:
            self.write_out(m.read(param, 1), "stdout")
            return 0
        if op == SYS_WRITE0:
            self.write_out(self._cstring(param), "stdout")
            return 0
        if op == SYS_WRITE:
            handle, ptr, n = self._words(param, 3)
            self.write_out(m.read(ptr, n) if n else b"", "stderr" if handle == STDERR else "stdout")
            return 0                                    # bytes *not* written
        if op == SYS_EXIT:
            # AArch32: r1 holds the reason itself
            raise ProgramExit(0 if param == ADP_STOPPED_APPLICATION_EXIT else 1, param)
        if op == SYS_EXIT_EXTENDED:
            reason, sub = self._words(param, 2)
            code = (sub - (1 << 32) if sub & 0x80000000 else sub) \
                if reason == ADP_STOPPED_APPLICATION_EXIT else 1
            raise ProgramExit(code, reason)
        if op == SYS_CLOCK:
            return self.cycles() * 100 // self.clock_hz
        if op == SYS_TIME:
            return self.cycles() // self.clock_hz
        if op == SYS_ELAPSED:
            ticks = self.cycles()
            m.write(param, ticks.to_bytes(8, "little"))
            return 0
        if op == SYS_TICKFREQ:
            return self.clock_hz
        if op == SYS_OPEN:
            ptr, mode, length = self._words(param, 3)
            name = m.read(ptr, length).decode("latin-1") if length else ""
            if name == ":tt":
                return STDIN if mode < 4 else (STDOUT if mode < 8 else STDERR)
            if name == ":semihosting-features":
                self._feature_pos = 0
                return FEATURES
            self.notes.add(f"SYS_OPEN of {name!r} refused: no host files are opened")
            return -1 & 0xFFFFFFFF
        if op == SYS_READ:
            handle, ptr, n = self._words(param, 3)
            if handle == FEATURES:
                chunk = _FEATURE_BYTES[self._feature_pos:self._feature_pos + n]
                m.write(ptr, chunk)
                self._feature_pos += len(chunk)
                return n - len(chunk)
            return n                                    # nothing read: end of input
        if op == SYS_FLEN:
            (handle,) = self._words(param, 1)
            return len(_FEATURE_BYTES) if handle == FEATURES else 0
        if op in (SYS_CLOSE, SYS_SEEK, SYS_ISERROR, SYS_ERRNO):
            return 0
        if op == SYS_ISTTY:
            (handle,) = self._words(param, 1)
            return 1 if handle in (STDIN, STDOUT, STDERR) else 0
        if op == SYS_READC:
            return -1 & 0xFFFFFFFF
        if op == SYS_GET_CMDLINE:
            ptr, _ = self._words(param, 2)
            m.write(ptr, b"\0")
            m.write(param + 4, (0).to_bytes(4, "little"))
            return 0
        if op == SYS_HEAPINFO:
            (ptr,) = self._words(param, 1)
            m.write(ptr, bytes(16))                     # 0: let the C library use its own symbols
            return 0
        self.notes.add(f"unsupported semihosting operation 0x{op:02x} "
                       f"({NAMES.get(op, 'unknown')}) returned -1")
        return -1 & 0xFFFFFFFF

    def _words(self, address: int, n: int) -> list[int]:
        raw = self.memory.read(address, 4 * n)
        return [int.from_bytes(raw[4 * i:4 * i + 4], "little") for i in range(n)]

    def _cstring(self, address: int, limit: int = 1 << 16) -> bytes:
        out = bytearray()
        while len(out) < limit:
            b = self.memory.read(address + len(out), 1)
            if b == b"\0":
                break
            out += b
        return bytes(out)


__all__ = ["Semihosting", "ProgramExit", "ADP_STOPPED_APPLICATION_EXIT"]
