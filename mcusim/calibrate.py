"""Calibration of the example models: synthetic ECG windows and a float forward pass.

The example models (:mod:`mcusim.examples`) get realistic quantization
parameters the way post-training quantization gets them: a float model whose
weights and activations are fake-quantized (rounded to their int8 grid and
back) runs on representative inputs, and every activation tensor's scale and
zero point come from a percentile range of the values it takes.

Nothing here is part of the integer semantics: these float ops only choose
scales. What a model computes is defined by :mod:`mcusim.reference.ops`.
Arrays are batches of windows, ``[N, T, C]`` float64.
"""

from __future__ import annotations

import numpy as np

from mcusim.reference.ops import out_length, padding_before

SAMPLE_RATE_HZ = 360
#: Percentile of an activation's values taken as its range (and 100 - it).
RANGE_PERCENTILE = 99.9


# --------------------------------------------------------------------------
# Synthetic ECG windows
# --------------------------------------------------------------------------

def _wave(t: np.ndarray, centre: float, width: float, amplitude: float) -> np.ndarray:
    return amplitude * np.exp(-0.5 * ((t - centre) / width) ** 2)


def _beat(t: np.ndarray, centre: float, kind: str, rng: np.random.Generator) -> np.ndarray:
    """One heartbeat in mV around ``centre`` seconds: P, QRS (Q, R, S), T waves."""
    r_amp = rng.uniform(0.8, 1.8)
    qrs_w = rng.uniform(0.008, 0.012)
    p_amp = rng.uniform(0.08, 0.25)
    p_at = centre - rng.uniform(0.14, 0.2)
    t_amp = rng.uniform(0.15, 0.4)
    t_at = centre + rng.uniform(0.25, 0.33)
    if kind == "S":            # premature supraventricular: odd, early P wave
        p_amp *= rng.choice([-0.6, 0.4, 1.5])
        p_at = centre - rng.uniform(0.08, 0.12)
    elif kind == "V":          # ventricular: no P, wide QRS, often inverted, big T
        p_amp = 0.0
        qrs_w *= rng.uniform(2.5, 4.0)
        r_amp *= rng.choice([-1.0, 1.0]) * rng.uniform(0.8, 1.3)
        t_amp = -np.sign(r_amp) * rng.uniform(0.3, 0.6)
    elif kind == "F":          # fusion of normal and ventricular
        qrs_w *= rng.uniform(1.5, 2.2)
        p_amp *= 0.5
    wave = _wave(t, p_at, 0.012, p_amp)
    wave += _wave(t, centre - 2.2 * qrs_w, qrs_w, -0.12 * abs(r_amp))
    wave += _wave(t, centre, qrs_w, r_amp)
    wave += _wave(t, centre + 2.5 * qrs_w, 1.2 * qrs_w, -0.25 * abs(r_amp))
    wave += _wave(t, t_at, rng.uniform(0.04, 0.06), t_amp)
    return wave


def synthetic_ecg(n: int, length: int = 256, seed: int | list[int] = 0,
                  sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """``n`` single-lead ECG-like windows in mV, float64 ``[n, length]``.

    Each window is centred on a beat (AAMI-like mix of N, S, V, F beats, and Q
    windows of noise only) with its neighbours at a random RR interval, plus
    baseline wander, mains hum and white noise. Deterministic in ``seed``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length) / sample_rate_hz
    windows = np.empty((n, length))
    for i in range(n):
        kind = rng.choice(["N", "S", "V", "F", "Q"], p=[0.6, 0.12, 0.12, 0.08, 0.08])
        centre = t[length // 2] + rng.uniform(-0.03, 0.03)
        rr = rng.uniform(0.55, 1.2)
        x = np.zeros(length)
        if kind != "Q":
            x += _beat(t, centre, kind, rng)
            for k in (-2, -1, 1, 2):
                x += _beat(t, centre + k * rr * (0.8 if kind == "S" and k == -1 else 1.0), "N", rng)
        noise = rng.uniform(0.01, 0.05) * (4.0 if kind == "Q" else 1.0)
        x += rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t
                                             + rng.uniform(0, 2 * np.pi))
        x += rng.uniform(0.0, 0.03) * np.sin(2 * np.pi * 60.0 * t + rng.uniform(0, 2 * np.pi))
        x += rng.normal(0.0, noise, length)
        windows[i] = x
    return windows


# --------------------------------------------------------------------------
# Quantization parameters
# --------------------------------------------------------------------------

def f32(value) -> float:
    """``value`` rounded to float32 (what the file stores), as a Python float."""
    return float(np.float32(value))


def asymmetric_qparams(lo: float, hi: float) -> tuple[float, int]:
    """TFLite-style int8 (scale, zero point) covering ``[lo, hi]`` (which is
    widened to contain 0, so that 0 is exactly representable)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    scale = f32((hi - lo) / 255.0)
    zero_point = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return scale, zero_point


def activation_qparams(values: np.ndarray) -> tuple[float, int]:
    """(scale, zero point) of an activation tensor from its calibration values."""
    lo = np.percentile(values, 100.0 - RANGE_PERCENTILE)
    hi = np.percentile(values, RANGE_PERCENTILE)
    return asymmetric_qparams(lo, hi)


def symmetric_scale(values: np.ndarray, percentile: float = 100.0) -> float:
    """Scale of a symmetric int8 quantization (zero point 0) of ``values``."""
    peak = float(np.percentile(np.abs(values), percentile))
    return f32(max(peak, 1e-8) / 127.0)


def quantize(values: np.ndarray, scale: float, zero_point: int,
             qmin: int = -128, qmax: int = 127) -> np.ndarray:
    """Float values -> int8 on the grid ``(q - zero_point) * scale``."""
    q = np.round(np.asarray(values) / scale) + zero_point
    return np.clip(q, qmin, qmax).astype(np.int8)


def fake_quant(values: np.ndarray, scale: float, zero_point: int,
               qmin: int = -128, qmax: int = 127) -> np.ndarray:
    """Round ``values`` to the int8 grid and back to float."""
    return (quantize(values, scale, zero_point, qmin, qmax).astype(np.float64) - zero_point) * scale


def per_channel_weights(w: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-channel int8 quantization along ``axis``: (int8 w, float32 scales)."""
    moved = np.moveaxis(np.asarray(w, dtype=np.float64), axis, 0)
    peak = np.abs(moved.reshape(moved.shape[0], -1)).max(axis=1)
    scales = (np.maximum(peak, 1e-8) / 127.0).astype(np.float32)
    shape = (-1,) + (1,) * (moved.ndim - 1)
    q = np.clip(np.round(moved / scales.reshape(shape)), -127, 127).astype(np.int8)
    return np.moveaxis(q, 0, axis), scales


def quantize_bias(bias: np.ndarray, input_scale: float, weight_scales) -> np.ndarray:
    """int32 bias on the accumulator's scale ``input_scale * weight_scale``."""
    acc_scale = np.float32(input_scale) * np.asarray(weight_scales, dtype=np.float32)
    return np.clip(np.round(np.asarray(bias) / acc_scale), -2**31, 2**31 - 1).astype(np.int32)


# --------------------------------------------------------------------------
# Float ops on batches [N, T, C]
# --------------------------------------------------------------------------

def _patches(x: np.ndarray, kernel: int, stride: int, dilation: int, padding: str,
             fill: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``[N, T_out, K, C]`` and their in-bounds mask ``[T_out, K]``."""
    length = x.shape[1]
    t_out = out_length(length, kernel, stride, dilation, padding)
    pad = padding_before(length, kernel, stride, dilation, padding)
    idx = np.arange(t_out)[:, None] * stride - pad + np.arange(kernel)[None, :] * dilation
    inside = (idx >= 0) & (idx < length)
    windows = x[:, np.clip(idx, 0, length - 1)]
    windows = np.where(inside[None, :, :, None], windows, fill)
    return windows, inside


def conv(x, w, stride=1, dilation=1, padding="same"):
    """1-D convolution without bias: ``w`` ``[Cout, K, Cin]``."""
    windows, _ = _patches(x, w.shape[1], stride, dilation, padding)
    return np.einsum("ntkc,okc->nto", windows, w)


def dw_conv(x, w, stride=1, dilation=1, padding="same"):
    """Depthwise 1-D convolution without bias: ``w`` ``[K, C]``."""
    windows, _ = _patches(x, w.shape[0], stride, dilation, padding)
    return np.einsum("ntkc,kc->ntc", windows, w)


def pw_conv(x, w):
    """Pointwise convolution without bias: ``w`` ``[Cout, Cin]``."""
    n, length, c_in = x.shape
    return (np.ascontiguousarray(x).reshape(n * length, c_in) @ w.T).reshape(n, length, -1)


def max_pool(x, kernel, stride, padding="valid"):
    windows, _ = _patches(x, kernel, stride, 1, padding, fill=-np.inf)
    return windows.max(axis=2)


def avg_pool(x, kernel, stride, padding="valid"):
    windows, inside = _patches(x, kernel, stride, 1, padding)
    return windows.sum(axis=2) / inside.sum(axis=1)[None, :, None]


def relu(x):
    return np.maximum(x, 0.0)


__all__ = ["SAMPLE_RATE_HZ", "synthetic_ecg", "asymmetric_qparams", "activation_qparams",
           "symmetric_scale", "quantize", "fake_quant", "per_channel_weights", "quantize_bias",
           "conv", "dw_conv", "pw_conv", "max_pool", "avg_pool", "relu", "f32"]
