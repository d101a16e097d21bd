"""Input windows for a model: an ``.npy`` array, a WFDB record, or the bundled sample.

:func:`load_windows` turns what the user names into int8 windows
``[windows, T, C]`` for a model, and says what it did on the way
(:attr:`Windows.notes`):

* ``.npy``: taken as is; it must already be int8 ``(windows, T, C)``;
* a WFDB record (``path/to/100``, with or without ``.hea``): read with
  ``wfdb``; ``C`` usable ECG leads are picked (MLII first, then II, then any
  other lead name, never a non-ECG signal such as RESP or ABP, never an
  all-NaN or flat channel; ``lead=`` names one explicitly); physical units are
  converted to mV; the signal is resampled to the model's rate with
  ``wfdb.processing.resample_sig`` when the rates differ (``resample=False``
  makes that an error instead); then cut into consecutive non-overlapping
  windows of ``T`` samples (a partial last window is dropped) and quantized
  with the model's input scale and zero point like TFLite's QUANTIZE
  (``round half away from zero``, saturating). No filtering or baseline
  removal is applied.
* nothing: the bundled sample record ``mcusim/data/sample-ecg`` (synthetic,
  made by :func:`write_sample_record`), read like any WFDB record.

Every problem is an :class:`~mcusim.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcusim.errors import InputError

SAMPLE_RECORD = Path(__file__).parent / "data" / "sample-ecg"
SAMPLE_SEED = 0
SAMPLE_WINDOWS = 16
SAMPLE_WINDOW_LENGTH = 256

#: Lead names tried first, in order; after them every other channel in record order,
#: except those whose name says they are not ECG (_NOT_ECG).
PREFERRED_LEADS = ("MLII", "II", "ML2")
_NOT_ECG = re.compile(r"RESP|ABP|ART|PAP|CVP|BP|PLETH|SPO2|SAO2|EEG|EMG|EOG|TEMP|CO2|FLOW|"
                      r"PRESS|SOUND|PULSE|STATUS|MARK", re.IGNORECASE)
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "v": 1e3}


@dataclass
class Windows:
    """int8 windows ready for a model, and how they were obtained."""
    x: np.ndarray                    # int8 [windows, T, C]
    source: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InputSpec:
    """What a model takes: window shape, sample rate and input quantization."""
    length: int
    channels: int
    sample_rate_hz: int
    scale: float
    zero_point: int

    @classmethod
    def of(cls, model) -> "InputSpec":
        """From a :class:`mcusim.runtime.LoadedModel` (or anything with the same fields)."""
        scale, zp = model.input_quantization
        length, channels = model.input_shape
        return cls(length, channels, int(model.sample_rate_hz), float(scale), int(zp))


def load_windows(source: str | Path | None, spec: InputSpec, *, lead: str | None = None,
                 resample: bool = True) -> Windows:
    """Windows for ``spec`` from an ``.npy`` file, a WFDB record, or (``None``)
    the bundled sample."""
    if source is None:
        windows = read_wfdb(SAMPLE_RECORD, spec, lead=lead, resample=resample)
        windows.source = "bundled sample (synthetic ECG)"
        return windows
    if str(source).endswith(".npy"):
        return Windows(read_npy(source, spec), str(source))
    return read_wfdb(source, spec, lead=lead, resample=resample)


def read_npy(path: str | Path, spec: InputSpec) -> np.ndarray:
    """An int8 ``(windows, T, C)`` array from an ``.npy`` file."""
    path = Path(path)
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({exc})") from None
    try:
        return check_windows(x, spec.length, spec.channels)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def check_windows(x, length: int, channels: int) -> np.ndarray:
    """``x`` as a C-contiguous int8 ``[windows, length, channels]`` array, or an
    InputError saying what is wrong with it."""
    expected = f"(windows, {length}, {channels})"
    if not isinstance(x, np.ndarray):
        raise InputError(f"input windows must be a numpy int8 array shaped {expected}, "
                         f"not {type(x).__name__}")
    if x.dtype != np.int8:
        raise InputError(f"input windows must be int8 (quantized with the model's input "
                         f"scale and zero point), not {x.dtype}")
    if x.ndim != 3:
        raise InputError(f"input windows must be shaped {expected}, got {x.ndim}-D "
                         f"shape {tuple(x.shape)}")
    if x.shape[1] != length:
        raise InputError(f"window length is {x.shape[1]}, the model takes windows of "
                         f"{length} samples {expected}")
    if x.shape[2] != channels:
        raise InputError(f"windows have {x.shape[2]} channels, the model takes {channels} "
                         f"{expected}")
    return np.ascontiguousarray(x)


def read_wfdb(record: str | Path, spec: InputSpec, *, lead: str | None = None,
              resample: bool = True) -> Windows:
    """Windows from a WFDB record (see the module docstring for the steps)."""
    import wfdb

    name = re.sub(r"\.(hea|dat)$", "", str(record))
    if not Path(name + ".hea").is_file():
        raise InputError(f"{name}: no WFDB record here (no {Path(name).name}.hea)")
    try:
        rec = wfdb.rdrecord(name)
    except Exception as exc:  # wfdb raises many types for a damaged record
        raise InputError(f"{name}: unreadable WFDB record ({_one_line(exc)})") from None
    signal = np.asarray(rec.p_signal, dtype=np.float64).reshape(rec.sig_len, rec.n_sig)
    names = list(rec.sig_name or [f"channel {i}" for i in range(rec.n_sig)])
    units = list(rec.units or ["mV"] * rec.n_sig)
    picks = pick_leads(names, signal, spec.channels, lead, where=name)
    notes = [f"lead{'s' if len(picks) > 1 else ''} {', '.join(names[i] for i in picks)}"
             + (f" (of {', '.join(names)})" if len(names) > len(picks) else "")]
    columns = []
    for i in picks:
        factor = _TO_MV.get(str(units[i]).strip().lower())
        if factor is None:
            notes.append(f"lead {names[i]}: unit {units[i]!r} taken as mV")
            factor = 1.0
        columns.append(_fill_nan(signal[:, i]) * factor)
    data = np.stack(columns, axis=1)

    fs = float(rec.fs)
    if abs(fs - spec.sample_rate_hz) > 1e-9:
        if not resample:
            raise InputError(f"{name}: sampled at {fs:g} Hz, the model expects "
                             f"{spec.sample_rate_hz} Hz (allow resampling to use it)")
        from wfdb.processing import resample_sig
        data = np.stack([resample_sig(data[:, c], fs, spec.sample_rate_hz)[0]
                         for c in range(data.shape[1])], axis=1)
        notes.append(f"resampled from {fs:g} Hz to {spec.sample_rate_hz} Hz")

    n = data.shape[0] // spec.length
    if n == 0:
        raise InputError(f"{name}: {data.shape[0]} samples at {spec.sample_rate_hz} Hz, "
                         f"shorter than one window of {spec.length}")
    if data.shape[0] % spec.length:
        notes.append(f"last {data.shape[0] % spec.length} samples dropped (partial window)")
    x, clipped = quantize(data[:n * spec.length], spec.scale, spec.zero_point)
    if clipped:
        notes.append(f"{clipped} samples saturated at the int8 range")
    return Windows(x.reshape(n, spec.length, spec.channels), name, notes)


def pick_leads(names: list[str], signal: np.ndarray, count: int, lead: str | None = None,
               where: str = "record") -> list[int]:
    """Indices of ``count`` usable ECG leads, preferred ones first."""
    def usable(i: int) -> bool:
        column = signal[:, i]
        finite = column[np.isfinite(column)]
        return finite.size > 0 and float(np.ptp(finite)) > 0.0

    if lead is not None:
        if lead not in names:
            raise InputError(f"{where}: no lead named {lead!r} (leads: {', '.join(names)})")
        i = names.index(lead)
        if not usable(i):
            raise InputError(f"{where}: lead {lead!r} has no usable samples (all missing or flat)")
        rest = [j for j in _ranked(names) if j != i and usable(j)]
        candidates = [i, *rest]
    else:
        candidates = [i for i in _ranked(names) if usable(i)]
    if len(candidates) < count:
        what = "no usable ECG lead" if not candidates else \
            f"{len(candidates)} usable ECG lead(s), the model takes {count}"
        raise InputError(f"{where}: {what} (channels: {', '.join(names) or 'none'})")
    return candidates[:count]


def _ranked(names: list[str]) -> list[int]:
    """Channels that may be ECG leads, preferred lead names first."""
    ecg = [i for i, n in enumerate(names) if not _NOT_ECG.search(n)]
    order = {n: k for k, n in enumerate(PREFERRED_LEADS)}
    return sorted(ecg, key=lambda i: order.get(names[i].upper(), len(order)))


def _fill_nan(column: np.ndarray) -> np.ndarray:
    """Missing samples (NaN) replaced by linear interpolation between their neighbours."""
    bad = ~np.isfinite(column)
    if not bad.any():
        return column
    idx = np.arange(column.size)
    return np.interp(idx, idx[~bad], column[~bad])


def quantize(values: np.ndarray, scale: float, zero_point: int) -> tuple[np.ndarray, int]:
    """Real values -> int8 as TFLite's QUANTIZE: ``round_half_away(v / scale) + zp``
    (float32 division), saturated; also returns how many samples saturated."""
    q = (np.asarray(values, dtype=np.float32) / np.float32(scale)).astype(np.float64)
    q = np.sign(q) * np.floor(np.abs(q) + 0.5) + zero_point
    clipped = int(np.count_nonzero((q < -128) | (q > 127)))
    return np.clip(q, -128, 127).astype(np.int8), clipped


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def write_sample_record(path: str | Path = SAMPLE_RECORD, seed: int = SAMPLE_SEED) -> None:
    """Write the bundled sample: ``SAMPLE_WINDOWS`` synthetic ECG windows
    (:func:`mcusim.calibrate.synthetic_ecg`) back to back, one lead 'MLII' in
    mV at 360 Hz, 16-bit, as a WFDB record whose header says what made it."""
    import wfdb

    from mcusim.calibrate import SAMPLE_RATE_HZ, synthetic_ecg

    path = Path(path)
    ecg = synthetic_ecg(SAMPLE_WINDOWS, SAMPLE_WINDOW_LENGTH, seed=seed).reshape(-1, 1)
    wfdb.wrsamp(path.name, fs=SAMPLE_RATE_HZ, units=["mV"], sig_name=["MLII"], p_signal=ecg,
                fmt=["16"], adc_gain=[1000.0], baseline=[0], write_dir=str(path.parent),
                comments=[f"synthetic ECG: mcusim.inputs.write_sample_record(seed={seed})"])


__all__ = ["Windows", "InputSpec", "load_windows", "read_npy", "read_wfdb", "check_windows",
           "pick_leads",
           "quantize", "write_sample_record", "SAMPLE_RECORD"]
