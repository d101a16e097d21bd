"""NumPy reference kernels: the specification of mcusim's integer semantics.

:mod:`mcusim.reference.quant` holds the fixed-point requantization arithmetic
and the derivation of its parameters from float scales;
:mod:`mcusim.reference.ops` the int8 operators built on it. Both follow
TFLite / TFLite Micro's reference kernels bit for bit; ``docs/semantics.md``
is the normative description.
"""

from mcusim.reference import ops, quant

__all__ = ["ops", "quant"]
