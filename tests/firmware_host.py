"""Load the firmware's C sources, compiled for the host, with ctypes.

`make -C kernels host` builds two shared libraries from the very same sources
as the firmware images:

* ``portable``: the ARMv6-M path (scalar kernels, reciprocal divisions);
* ``dsp``: the ARMv7E-M path, its SXTB16/SMLAD/... instructions replaced by C
  functions with the same semantics (kernels/src/dsp.h), so the optimized
  kernels' algorithm and data layout run here.

:class:`FirmwareHost` wraps each: the kernels with numpy arrays in and out,
the model reader, synthesis, and whole mailbox jobs with their trace.
"""

from __future__ import annotations

import ctypes as C
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "kernels"
BUILD = KERNELS / "build"
VARIANTS = ("portable", "dsp")

MAILBOX_MAGIC = 0x424D434D
MAILBOX_DONE = 0x454E4F44
PORT_PHASE, PORT_STATUS = 1, 2
PHASES = {1: "reset", 2: "init", 3: "boot_synth", 4: "synth_boot", 5: "inference", 6: "layer",
          7: "synth_lazy", 8: "job"}


def status_codes() -> dict[str, int]:
    """MCUSIM_* status names -> values, parsed from kernels/include/mcusim_status.h."""
    text = (KERNELS / "include" / "mcusim_status.h").read_text()
    return {name: int(value, 0) for name, value in
            re.findall(r"^\s*MCUSIM_([A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)", text, re.M)}


STATUS = status_codes()
STATUS_NAME = {v: k for k, v in STATUS.items()}


def host_compiler_missing() -> str | None:
    """Why the host library cannot be built here, or None."""
    for tool in ("gcc", "make"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed: the firmware's host build needs it"
    return None


@lru_cache(maxsize=None)
def build_host_libraries() -> dict[str, Path]:
    subprocess.run(["make", "-C", str(KERNELS), "host", f"BUILD={BUILD}"], check=True,
                   capture_output=True)
    return {v: BUILD / "host" / f"libmcusim_{v}.so" for v in VARIANTS}


class Mailbox(C.Structure):
    _fields_ = [(name, C.c_uint32) for name in (
        "magic", "version", "model_addr", "model_size", "mode", "n_windows", "in_addr",
        "in_capacity", "out_addr", "out_capacity", "flags", "reserved",
        "status", "detail", "aux", "windows_done", "synthesized", "out_record_size",
        "arena_capacity", "arena_used", "last_class", "cycles", "done", "reserved2")]


@dataclass
class Trace:
    """The words the firmware wrote to the ITM stimulus ports, decoded."""
    words: list[tuple[int, int]]                     # (port, word) in write order
    phases: list[tuple[str, str, int, int]] = field(default_factory=list)  # (edge, phase, detail, index)
    statuses: list[tuple[int, int, int]] = field(default_factory=list)     # (code, detail, aux)

    @classmethod
    def decode(cls, words: list[tuple[int, int]]) -> "Trace":
        t = cls(words)
        status = []
        for port, word in words:
            if port == PORT_PHASE:
                edge = {1: "begin", 2: "end"}[word >> 28]
                t.phases.append((edge, PHASES[(word >> 24) & 0xF], (word >> 16) & 0xFF,
                                 word & 0xFFFF))
            elif port == PORT_STATUS:
                status.append(word)
                if len(status) == 3:
                    t.statuses.append(tuple(status))
                    status = []
        assert not status, "a status record was cut short"
        return t


@dataclass
class JobResult:
    mailbox: Mailbox
    records: np.ndarray | None       # uint8 [windows_done, out_record_size]
    trace: Trace

    def outputs(self, out_nbytes: int) -> np.ndarray:
        """int8 [windows_done, out_nbytes]: the output tensor of each window."""
        return self.records[:, :out_nbytes].view(np.int8)

    def classes(self, out_nbytes: int) -> np.ndarray:
        """int32 [windows_done]: the class tensor (argmax) of each window."""
        start = -(-out_nbytes // 4) * 4
        return self.records[:, start:start + 4].copy().view("<i4").reshape(-1)

    @property
    def status(self) -> int:
        return self.mailbox.status

    @property
    def status_name(self) -> str:
        return STATUS_NAME.get(self.mailbox.status, str(self.mailbox.status))


def _aligned(nbytes: int, align: int = 16, fill: int = 0) -> np.ndarray:
    raw = np.full(nbytes + align, fill, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start:start + nbytes]


def _ptr(a: np.ndarray):
    return C.c_void_p(a.ctypes.data)


def _i32(v) -> int:
    return int(v)


class FirmwareHost:
    """One host build of the firmware sources ('portable' or 'dsp')."""

    def __init__(self, variant: str):
        self.variant = variant
        self.lib = C.CDLL(str(build_host_libraries()[variant]))
        lib = self.lib
        u32, i32, vp = C.c_uint32, C.c_int32, C.c_void_p
        sig = {
            "mcusim_conv_s8": (None, [vp, i32, i32, vp, i32, i32, i32, i32, i32, vp, vp, vp,
                                      i32, i32, i32, i32, vp]),
            "mcusim_dw_conv_s8": (None, [vp, i32, i32, vp, i32, i32, i32, i32, vp, vp, vp,
                                         i32, i32, i32, i32, vp]),
            "mcusim_pw_conv_s8": (None, [vp, i32, i32, vp, i32, vp, vp, vp, i32, i32, i32, i32,
                                         vp]),
            "mcusim_fully_connected_s8": (None, [vp, i32, i32, vp, i32, vp, i32, i32, i32, i32,
                                                 i32, i32, vp]),
            "mcusim_fc_row_s8": (None, [vp, i32, vp, i32, i32, vp, i32, i32, i32, i32, i32, i32,
                                        vp]),
            "mcusim_avg_pool_s8": (None, [vp, i32, i32, i32, i32, i32, i32, i32, vp]),
            "mcusim_max_pool_s8": (None, [vp, i32, i32, i32, i32, i32, i32, i32, vp]),
            "mcusim_global_avg_pool_s8": (None, [vp, i32, i32, i32, i32, vp]),
            "mcusim_add_s8": (None, [vp, vp, i32] + [i32] * 11 + [vp]),
            "mcusim_argmax_s8": (i32, [vp, i32]),
            "mcusim_requantize": (i32, [i32, i32, i32]),
            "mcusim_pool_divide": (i32, [i32, i32]),
            "mcusim_host_config": (u32, []),
            "mcusim_host_trace_reset": (None, []),
            "mcusim_host_trace_count": (u32, []),
            "mcusim_host_trace_words": (C.POINTER(u32), []),
            "mcusim_host_trace_ports": (C.POINTER(C.c_uint8), []),
            "mcusim_host_open": (u32, [vp, u32, u32, C.POINTER(u32)]),
            "mcusim_host_synth": (u32, [vp, u32, u32, vp, vp]),
            "mcusim_host_serve": (u32, [C.POINTER(Mailbox), C.c_size_t, vp, u32, vp, u32]),
            "mcusim_host_sizeof": (u32, [u32]),
            "mcusim_model_crc": (u32, [vp, u32]),
        }
        for name, (res, args) in sig.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args

    # ------------------------------------------------------------------ config
    @property
    def uses_dsp(self) -> bool:
        return bool(self.lib.mcusim_host_config() & 1)

    @property
    def hw_divide(self) -> bool:
        return bool(self.lib.mcusim_host_config() & 2)

    # ----------------------------------------------------------------- kernels
    @staticmethod
    def _s8(a) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.int8)

    @staticmethod
    def _opt_i32(a):
        return None if a is None else np.ascontiguousarray(a, dtype=np.int32)

    def conv(self, x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, *,
             stride=1, dilation=1, padding="same"):
        from mcusim.reference.ops import out_length
        x, w = self._s8(x), self._s8(w)
        cout, kernel, _ = w.shape
        t_out = out_length(x.shape[0], kernel, stride, dilation, padding)
        y = np.zeros((t_out, cout), dtype=np.int8)
        bias = self._opt_i32(bias)
        mult, shift = np.ascontiguousarray(mult, np.int32), np.ascontiguousarray(shift, np.int8)
        self.lib.mcusim_conv_s8(_ptr(x), x.shape[0], x.shape[1], _ptr(w), cout, kernel, stride,
                                dilation, padding == "same", None if bias is None else _ptr(bias),
                                _ptr(mult), _ptr(shift), in_zp, out_zp, act_min, act_max, _ptr(y))
        return y

    def dw_conv(self, x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max, *,
                stride=1, dilation=1, padding="same"):
        from mcusim.reference.ops import out_length
        x, w = self._s8(x), self._s8(w)
        kernel = w.shape[0]
        t_out = out_length(x.shape[0], kernel, stride, dilation, padding)
        y = np.zeros((t_out, x.shape[1]), dtype=np.int8)
        bias = self._opt_i32(bias)
        mult, shift = np.ascontiguousarray(mult, np.int32), np.ascontiguousarray(shift, np.int8)
        self.lib.mcusim_dw_conv_s8(_ptr(x), x.shape[0], x.shape[1], _ptr(w), kernel, stride,
                                   dilation, padding == "same",
                                   None if bias is None else _ptr(bias), _ptr(mult), _ptr(shift),
                                   in_zp, out_zp, act_min, act_max, _ptr(y))
        return y

    def pw_conv(self, x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max):
        x, w = self._s8(x), self._s8(w)
        y = np.zeros((x.shape[0], w.shape[0]), dtype=np.int8)
        bias = self._opt_i32(bias)
        mult, shift = np.ascontiguousarray(mult, np.int32), np.ascontiguousarray(shift, np.int8)
        self.lib.mcusim_pw_conv_s8(_ptr(x), x.shape[0], x.shape[1], _ptr(w), w.shape[0],
                                   None if bias is None else _ptr(bias), _ptr(mult), _ptr(shift),
                                   in_zp, out_zp, act_min, act_max, _ptr(y))
        return y

    def fully_connected(self, x, w, bias, mult, shift, in_zp, out_zp, act_min, act_max):
        x, w = self._s8(x), self._s8(w)
        y = np.zeros((x.shape[0], w.shape[0]), dtype=np.int8)
        bias = self._opt_i32(bias)
        self.lib.mcusim_fully_connected_s8(_ptr(x), x.shape[0], x.shape[1], _ptr(w), w.shape[0],
                                           None if bias is None else _ptr(bias), _i32(mult),
                                           _i32(shift), in_zp, out_zp, act_min, act_max, _ptr(y))
        return y

    def fc_row(self, x, w, w_stride, n_out, init, mult, shift, in_zp, out_zp, act_min, act_max):
        """One row with weight rows `w_stride` apart in the flat int8 array `w`."""
        x, w = self._s8(x), self._s8(w)
        y = np.zeros(n_out, dtype=np.int8)
        init = self._opt_i32(init)
        self.lib.mcusim_fc_row_s8(_ptr(x), x.shape[0], _ptr(w), w_stride, n_out,
                                  None if init is None else _ptr(init), mult, shift, in_zp,
                                  out_zp, act_min, act_max, _ptr(y))
        return y

    def _pool(self, fn, x, kernel, stride, padding, act_min, act_max):
        from mcusim.reference.ops import out_length
        x = self._s8(x)
        y = np.zeros((out_length(x.shape[0], kernel, stride, 1, padding), x.shape[1]), np.int8)
        fn(_ptr(x), x.shape[0], x.shape[1], kernel, stride, padding == "same", act_min, act_max,
           _ptr(y))
        return y

    def avg_pool(self, x, kernel, stride, padding, act_min, act_max):
        return self._pool(self.lib.mcusim_avg_pool_s8, x, kernel, stride, padding, act_min,
                          act_max)

    def max_pool(self, x, kernel, stride, padding, act_min, act_max):
        return self._pool(self.lib.mcusim_max_pool_s8, x, kernel, stride, padding, act_min,
                          act_max)

    def global_avg_pool(self, x, act_min, act_max):
        x = self._s8(x)
        y = np.zeros((1, x.shape[1]), np.int8)
        self.lib.mcusim_global_avg_pool_s8(_ptr(x), x.shape[0], x.shape[1], act_min, act_max,
                                           _ptr(y))
        return y

    def add(self, a, b, a_zp, a_mult, a_shift, b_zp, b_mult, b_shift, out_zp, out_mult,
            out_shift, act_min, act_max):
        a, b = self._s8(a), self._s8(b)
        y = np.zeros_like(a)
        self.lib.mcusim_add_s8(_ptr(a), _ptr(b), a.size, a_zp, a_mult, a_shift, b_zp, b_mult,
                               b_shift, out_zp, out_mult, out_shift, act_min, act_max, _ptr(y))
        return y

    def argmax(self, x) -> int:
        x = self._s8(x).reshape(-1)
        return self.lib.mcusim_argmax_s8(_ptr(x), x.size)

    def requantize(self, acc, mult, shift) -> int:
        return self.lib.mcusim_requantize(acc, mult, shift)

    def pool_divide(self, total, count) -> int:
        return self.lib.mcusim_pool_divide(total, count)

    def sizeof(self, which: int) -> int:
        return self.lib.mcusim_host_sizeof(which)

    def crc(self, data: bytes) -> int:
        buf = _aligned(len(data))
        buf[:] = np.frombuffer(data, np.uint8)
        return self.lib.mcusim_model_crc(_ptr(buf), len(data))

    # ------------------------------------------------------------------- model
    def open(self, data: bytes, capacity: int | None = None, written: int | None = None
             ) -> tuple[int, int, int]:
        """Validate `data` (placed in a partition of `capacity` bytes, 0xFF-filled past
        the end; `written` = length the host reports, None = len(data), 0 = unknown).
        Returns (status, detail, aux)."""
        capacity = len(data) if capacity is None else capacity
        written = len(data) if written is None else written
        buf = _aligned(max(capacity, len(data)), fill=0xFF)
        buf[:len(data)] = np.frombuffer(data, np.uint8)
        err = (C.c_uint32 * 3)()
        self.lib.mcusim_host_open(_ptr(buf), capacity, written, err)
        return int(err[0]), int(err[1]), int(err[2])

    def synth(self, data: bytes, g: int, n_rows: int, fan_in: int, workspace: int) -> np.ndarray:
        buf = _aligned(len(data))
        buf[:] = np.frombuffer(data, np.uint8)
        kernel = np.zeros((n_rows, fan_in), np.int8)
        ws = _aligned(max(workspace, 4), fill=0xA5)
        status = self.lib.mcusim_host_synth(_ptr(buf), len(data), g, _ptr(kernel), _ptr(ws))
        if status:
            raise RuntimeError(f"synthesis failed: {STATUS_NAME.get(status, status)}")
        return kernel

    def run(self, data: bytes, windows: np.ndarray | None, mode: int, *,
            arena_size: int = 1 << 20, in_capacity: int | None = None,
            out_capacity: int | None = None, n_windows: int | None = None,
            model_size: int | None = None, partition: int | None = None,
            magic: int = MAILBOX_MAGIC, version: int = 1, record_size: int | None = None,
            model_addr: int = 0) -> JobResult:
        """Run one mailbox job, as the firmware's main() does.

        The host "address space" is one buffer: [model partition | inputs | outputs];
        mailbox addresses are offsets into it (addr_base = its start). The arena is a
        separate buffer, as SRAM is on the part."""
        windows = None if windows is None else np.ascontiguousarray(windows, np.int8)
        n = 0 if windows is None else windows.shape[0]
        n_windows = n if n_windows is None else n_windows
        in_bytes = 0 if windows is None else windows.nbytes
        in_capacity = in_bytes if in_capacity is None else in_capacity
        if out_capacity is None:
            out_capacity = max(n_windows, 1) * (record_size or 4096)
        partition = partition or len(data) + 64
        part_size = -(-partition // 16) * 16
        in_at = part_size
        out_at = in_at + -(-max(in_capacity, in_bytes, 1) // 16) * 16
        space = _aligned(out_at + max(out_capacity, 1), fill=0xEE)
        space[:part_size] = 0xFF
        space[:len(data)] = np.frombuffer(data, np.uint8)
        if in_bytes:
            space[in_at:in_at + in_bytes] = windows.reshape(-1).view(np.uint8)
        arena = _aligned(arena_size, fill=0xCD)
        mb = Mailbox(magic=magic, version=version, model_addr=model_addr,
                     model_size=len(data) if model_size is None else model_size, mode=mode,
                     n_windows=n_windows, in_addr=in_at if in_capacity else 0,
                     in_capacity=in_capacity, out_addr=out_at if out_capacity else 0,
                     out_capacity=out_capacity)
        self.lib.mcusim_host_trace_reset()
        self.lib.mcusim_host_serve(C.byref(mb), space.ctypes.data, _ptr(space), part_size,
                                   _ptr(arena), arena_size)
        count = self.lib.mcusim_host_trace_count()
        words = self.lib.mcusim_host_trace_words()
        ports = self.lib.mcusim_host_trace_ports()
        trace = Trace.decode([(int(ports[i]), int(words[i])) for i in range(count)])
        records = None
        if mb.windows_done:
            rec = mb.out_record_size
            records = space[out_at:out_at + rec * mb.windows_done].reshape(mb.windows_done,
                                                                           rec).copy()
        return JobResult(mb, records, trace)


@lru_cache(maxsize=None)
def firmware_host(variant: str) -> FirmwareHost:
    return FirmwareHost(variant)


# --------------------------------------------------------------------------
# the reference: a whole model on one window, with mcusim.reference.ops
# --------------------------------------------------------------------------
def reference_run(model, window: np.ndarray) -> tuple[np.ndarray, int]:
    """The model on one window with mcusim.reference.ops: (output tensor, class index)."""
    from mcusim.format.spec import Op, Padding
    from mcusim.reference import ops, synth
    kernels = synth.synthesize_model(model) if model.generated else []
    acts = {model.input_tensor: window}
    for layer in model.layers:
        x = acts[layer.inputs[0]]
        src, dst = model.tensors[layer.inputs[0]], model.tensors[layer.output]
        w = kernels[layer.generated] if layer.is_generated else layer.weights
        cout = dst.channels
        bias = layer.bias if layer.bias is not None else np.zeros(cout, np.int32)
        pad = "same" if layer.padding == Padding.SAME else "valid"
        q = (layer.act_min, layer.act_max)
        if layer.op == Op.CONV:
            y = ops.conv(x, w, bias, layer.mult, layer.shift, src.zero_point, dst.zero_point, *q,
                         stride=layer.stride, dilation=layer.dilation, padding=pad)
        elif layer.op == Op.DW_CONV:
            y = ops.dw_conv(x, w, bias, layer.mult, layer.shift, src.zero_point, dst.zero_point,
                            *q, stride=layer.stride, dilation=layer.dilation, padding=pad)
        elif layer.op == Op.PW_CONV:
            y = ops.pw_conv(x, w, bias, layer.mult, layer.shift, src.zero_point, dst.zero_point,
                            *q)
        elif layer.op == Op.FULLY_CONNECTED:
            y = ops.fully_connected(x, w, bias, layer.mult[0], layer.shift[0], src.zero_point,
                                    dst.zero_point, *q)
        elif layer.op == Op.AVG_POOL:
            y = ops.avg_pool(x, layer.kernel, layer.stride, pad, *q)
        elif layer.op == Op.MAX_POOL:
            y = ops.max_pool(x, layer.kernel, layer.stride, pad, *q)
        elif layer.op == Op.GLOBAL_AVG_POOL:
            y = ops.global_avg_pool(x, *q)
        elif layer.op == Op.ADD:
            other = model.tensors[layer.inputs[1]]
            m, s = layer.mult, layer.shift
            y = ops.add(x, acts[layer.inputs[1]], src.zero_point, m[0], s[0], other.zero_point,
                        m[1], s[1], dst.zero_point, m[2], s[2], *q)
        elif layer.op == Op.ARGMAX:
            y = np.array([[ops.argmax(x)]], np.int32)
        else:
            raise AssertionError(layer.op)
        acts[layer.output] = y
    return acts[model.output_tensor], int(acts[model.class_tensor].reshape(-1)[0])


# --------------------------------------------------------------------------
# the real images, in unicorn: a minimal host for the firmware's conventions
# (reset vector, mailbox, ITM stimulus ports, semihosting). The emulator
# (mcusim.emu) is the product; this only checks that the images keep them.
# --------------------------------------------------------------------------
HOST_IO = 0x60000000            # docs/firmware.md: the testbed's host I/O region
SYS_WRITE0, SYS_EXIT, SYS_EXIT_EXTENDED = 0x04, 0x18, 0x20
ADP_APPLICATION_EXIT = 0x20026


@dataclass
class ImageRun:
    mailbox: list[int]          # the 24 mailbox words after the run
    trace: Trace
    exit: tuple                 # ("exit", reason) / ("exit_extended", reason, code) / ("fault", ...)
    text: bytes                 # what the firmware wrote with SYS_WRITE0
    records: np.ndarray | None  # uint8 [windows_done, out_record_size]
    stack_used: int             # bytes of the painted stack that were written

    @property
    def status(self) -> int:
        return self.mailbox[12]

    @property
    def exit_code(self) -> int | None:
        """The process exit code a semihosting host gives this run."""
        if self.exit[0] == "exit":
            return 0 if self.exit[1] == ADP_APPLICATION_EXIT else 1
        if self.exit[0] == "exit_extended":
            return self.exit[2]
        return None


def run_image(elf_path: Path, target_name: str, model: bytes, windows: np.ndarray | None,
              mode: int, *, model_size: int | None = None, out_capacity: int = 1 << 16,
              max_instructions: int = 200_000_000) -> ImageRun:
    """Run a firmware image on one mailbox job in unicorn and return what it left."""
    import struct as _struct

    from elftools.elf.elffile import ELFFile
    from unicorn import UC_ARCH_ARM, UC_HOOK_INTR, UC_MODE_MCLASS, UC_MODE_THUMB
    from unicorn import UC_PROT_EXEC, UC_PROT_READ, Uc
    from unicorn import arm_const as A

    from mcusim.targets import load_target

    cpus = {"cortex-m4": A.UC_CPU_ARM_CORTEX_M4, "cortex-m7": A.UC_CPU_ARM_CORTEX_M7,
            "cortex-m0plus": A.UC_CPU_ARM_CORTEX_M0}
    target = load_target(target_name)
    with open(elf_path, "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        segments = [(seg["p_paddr"], seg.data()) for seg in elf.iter_segments()
                    if seg["p_type"] == "PT_LOAD" and seg["p_filesz"]]
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(cpus[target.core])
    uc.mem_map(target.flash.address, target.flash.size, UC_PROT_READ | UC_PROT_EXEC)
    uc.mem_map(target.sram.address, target.sram.size)
    uc.mem_map(HOST_IO, 1 << 20)
    for addr, data in segments:
        uc.mem_write(addr, data)
    uc.mem_write(target.model_address, model)
    stack_lo, stack_hi = syms["__stack_limit"], syms["__stack_top"]
    uc.mem_write(stack_lo, b"\xCD" * (stack_hi - stack_lo))

    regs: dict[int, int] = {}
    words: list[tuple[int, int]] = []

    def ppb_read(uc, offset, size, data):
        if offset < 0x80:
            return 1                # a stimulus port reads "FIFO ready"
        return regs.get(0xE0000000 + offset, 0)

    def ppb_write(uc, offset, size, value, data):
        if offset < 0x80:
            words.append((offset // 4, value))
        else:
            regs[0xE0000000 + offset] = value

    uc.mmio_map(0xE0000000, 0x100000, ppb_read, None, ppb_write, None)
    in_bytes = b"" if windows is None else np.ascontiguousarray(windows, np.int8).tobytes()
    in_addr, out_addr = HOST_IO, HOST_IO + 0x80000
    uc.mem_write(in_addr, in_bytes)
    n = 0 if windows is None else len(windows)
    mb = syms["mcusim_mailbox"]
    request = [MAILBOX_MAGIC, 1, 0, len(model) if model_size is None else model_size, mode, n,
               in_addr if n else 0, len(in_bytes), out_addr if out_capacity else 0, out_capacity,
               0, 0]
    uc.mem_write(mb, _struct.pack("<12I", *request) + b"\xAA" * 48)

    state = {"exit": None, "text": b""}

    def on_intr(uc, intno, data):
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if intno != 7:      # not BKPT: a fault
            state["exit"] = ("fault", intno, pc)
            uc.emu_stop()
            return
        op, arg = uc.reg_read(A.UC_ARM_REG_R0), uc.reg_read(A.UC_ARM_REG_R1)
        if op == SYS_WRITE0:
            text = bytearray()
            while (c := bytes(uc.mem_read(arg + len(text), 1))) != b"\0":
                text += c
            state["text"] += bytes(text)
        elif op == SYS_EXIT:
            state["exit"] = ("exit", arg)
        elif op == SYS_EXIT_EXTENDED:
            state["exit"] = ("exit_extended", *_struct.unpack("<II", bytes(uc.mem_read(arg, 8))))
        if state["exit"]:
            uc.emu_stop()
            return
        uc.reg_write(A.UC_ARM_REG_R0, 0)
        uc.reg_write(A.UC_ARM_REG_PC, (pc + 2) | 1)

    uc.hook_add(UC_HOOK_INTR, on_intr)
    sp, pc = _struct.unpack("<2I", bytes(uc.mem_read(target.flash.address, 8)))
    uc.reg_write(A.UC_ARM_REG_SP, sp)
    restarts = 0
    while state["exit"] is None and restarts < 1000:
        uc.emu_start(pc | 1, 0xFFFFFFFF, count=max_instructions)
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        restarts += 1
    box = list(_struct.unpack("<24I", bytes(uc.mem_read(mb, 96))))
    records = None
    if box[15]:
        rec = box[17]
        records = np.frombuffer(bytes(uc.mem_read(out_addr, rec * box[15])),
                                np.uint8).reshape(box[15], rec)
    stack = bytes(uc.mem_read(stack_lo, stack_hi - stack_lo))
    untouched = len(stack) - len(stack.lstrip(b"\xCD"))
    return ImageRun(box, Trace.decode(words), state["exit"] or ("none",), state["text"], records,
                    len(stack) - untouched)
