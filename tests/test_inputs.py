"""Input windows: .npy arrays, WFDB records (own small records made with
wfdb.wrsamp, and MIT-BIH record 100 when present), the bundled sample; every
bad input is a one-line InputError."""

from pathlib import Path

import numpy as np
import pytest
import wfdb

from mcusim.errors import InputError
from mcusim.inputs import (SAMPLE_RECORD, InputSpec, load_windows, quantize, read_npy,
                           write_sample_record)

SPEC = InputSpec(length=64, channels=1, sample_rate_hz=360, scale=0.01, zero_point=-5)
MITDB_100 = Path(__file__).resolve().parents[2] / "shared" / "data" / "mitdb" / "100"


def ecg(seconds: float, fs: float, leads: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    beats = sum(np.exp(-0.5 * ((t - c) / 0.01) ** 2) for c in np.arange(0.3, seconds, 0.8))
    return np.stack([beats * (k + 1) + 0.05 * np.sin(2 * np.pi * t) for k in range(leads)], 1)


def record(tmp_path, name, signal, fs, sig_name, units=None):
    units = units or ["mV"] * signal.shape[1]
    gains = [0.2 if u == "uV" else 200.0 for u in units]     # 5 uV per unit either way
    wfdb.wrsamp(name, fs=fs, units=units, sig_name=sig_name, p_signal=signal,
                fmt=["16"] * signal.shape[1], adc_gain=gains,
                baseline=[0] * signal.shape[1], write_dir=str(tmp_path))
    return str(tmp_path / name)


def one_line(err) -> str:
    text = str(err.value)
    assert "\n" not in text
    return text


def test_wfdb_record_is_windowed_and_quantized(tmp_path):
    signal = ecg(2.0, 360, leads=2)
    path = record(tmp_path, "r360", signal, 360, ["V5", "MLII"])
    w = load_windows(path, SPEC)
    assert w.x.dtype == np.int8 and w.x.shape == (720 // 64, 64, 1)
    assert w.notes[0] == "lead MLII (of V5, MLII)"
    assert "last 16 samples dropped (partial window)" in w.notes
    stored = wfdb.rdrecord(path).p_signal[:, 1]       # what the file holds (16-bit)
    expected, _ = quantize(stored[:11 * 64], SPEC.scale, SPEC.zero_point)
    np.testing.assert_array_equal(w.x.reshape(-1), expected)
    assert load_windows(path + ".hea", SPEC).x.shape == w.x.shape


def test_explicit_lead_and_unit_conversion(tmp_path):
    signal = ecg(1.0, 360, leads=2)
    in_uv = signal.copy()
    in_uv[:, 1] *= 1000.0
    path = record(tmp_path, "uv", in_uv, 360, ["II", "V1"], units=["mV", "uV"])
    assert load_windows(path, SPEC).notes[0] == "lead II (of II, V1)"
    v1 = load_windows(path, SPEC, lead="V1")
    assert v1.notes[0] == "lead V1 (of II, V1)"
    mv = record(tmp_path, "mv", signal, 360, ["II", "V1"])
    np.testing.assert_array_equal(v1.x, load_windows(mv, SPEC, lead="V1").x)
    with pytest.raises(InputError) as err:
        load_windows(path, SPEC, lead="V6")
    assert "no lead named 'V6' (leads: II, V1)" in one_line(err)


def test_resampling_250_hz(tmp_path):
    path = record(tmp_path, "r250", ecg(4.0, 250), 250, ["MLII"])
    w = load_windows(path, SPEC)
    assert "resampled from 250 Hz to 360 Hz" in w.notes
    assert w.x.shape == (1440 // 64, 64, 1)
    with pytest.raises(InputError) as err:
        load_windows(path, SPEC, resample=False)
    assert "sampled at 250 Hz, the model expects 360 Hz" in one_line(err)


def test_no_usable_lead(tmp_path):
    signal = np.stack([np.sin(np.arange(720) / 30.0), np.cos(np.arange(720) / 50.0)], 1)
    path = record(tmp_path, "resp", signal, 360, ["RESP", "ABP"])
    with pytest.raises(InputError) as err:
        load_windows(path, SPEC)
    assert "no usable ECG lead (channels: RESP, ABP)" in one_line(err)


def test_flat_and_missing_leads_are_skipped(tmp_path):
    signal = ecg(1.0, 360, leads=2)
    signal[:, 0] = 0.0                                    # flat MLII
    path = record(tmp_path, "flat", signal, 360, ["MLII", "V2"])
    assert load_windows(path, SPEC).notes[0] == "lead V2 (of MLII, V2)"
    with pytest.raises(InputError, match="lead 'MLII' has no usable samples"):
        load_windows(path, SPEC, lead="MLII")


def test_missing_record_and_short_record(tmp_path):
    with pytest.raises(InputError) as err:
        load_windows(tmp_path / "nothing", SPEC)
    assert "no WFDB record here (no nothing.hea)" in one_line(err)
    path = record(tmp_path, "short", ecg(0.1, 360), 360, ["MLII"])
    with pytest.raises(InputError, match="36 samples at 360 Hz, shorter than one window of 64"):
        load_windows(path, SPEC)


def test_damaged_record(tmp_path):
    (tmp_path / "bad.hea").write_text("bad 1 360 100\nbad.dat 16 200 16 0 0 0 0 MLII\n")
    with pytest.raises(InputError) as err:
        load_windows(tmp_path / "bad", SPEC)
    assert "unreadable WFDB record" in one_line(err)


@pytest.mark.parametrize("array,fragment", [
    (np.zeros((2, 64, 1), np.float32), "must be int8"),
    (np.zeros((64, 1), np.int8), "shaped (windows, 64, 1), got 2-D"),
    (np.zeros((2, 63, 1), np.int8), "window length is 63"),
    (np.zeros((2, 64, 3), np.int8), "windows have 3 channels"),
])
def test_npy_checks(tmp_path, array, fragment):
    path = tmp_path / "x.npy"
    np.save(path, array)
    with pytest.raises(InputError) as err:
        read_npy(path, SPEC)
    assert fragment in one_line(err)


def test_npy_ok_missing_and_garbage(tmp_path):
    path = tmp_path / "x.npy"
    x = np.arange(128, dtype=np.int8).reshape(2, 64, 1)
    np.save(path, x)
    np.testing.assert_array_equal(load_windows(str(path), SPEC).x, x)
    with pytest.raises(InputError, match="no such file"):
        read_npy(tmp_path / "none.npy", SPEC)
    (tmp_path / "junk.npy").write_bytes(b"not an array")
    with pytest.raises(InputError, match="not a readable .npy array"):
        read_npy(tmp_path / "junk.npy", SPEC)


def test_quantize_rounds_half_away_and_saturates():
    q, clipped = quantize(np.array([0.005, -0.005, 0.015, 10.0, -10.0]), 0.01, 0)
    assert q.tolist() == [1, -1, 2, 127, -128] and clipped == 2


def test_bundled_sample_is_reproducible(tmp_path):
    write_sample_record(tmp_path / "sample-ecg")
    for ext in (".hea", ".dat"):
        assert (tmp_path / f"sample-ecg{ext}").read_bytes() == \
            Path(str(SAMPLE_RECORD) + ext).read_bytes()
    w = load_windows(None, InputSpec(256, 1, 360, 0.0113, -17))
    assert w.x.shape == (16, 256, 1) and w.source.startswith("bundled sample")


@pytest.mark.skipif(not MITDB_100.with_suffix(".hea").exists(),
                    reason=f"MIT-BIH record 100 not found at {MITDB_100}")
def test_mitdb_record_100():
    w = load_windows(MITDB_100, InputSpec(256, 1, 360, 0.0113, -17))
    assert w.notes[0] == "lead MLII (of MLII, V5)"
    assert w.x.shape == (650000 // 256, 256, 1)
