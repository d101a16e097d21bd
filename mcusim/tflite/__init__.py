"""TFLite interop: build ``.tflite`` graphs (:mod:`mcusim.tflite.builder`) and run
them on TFLite Micro, the oracle mcusim's integer semantics are checked against.

Both need the optional ``tflite-micro`` package; importing this package alone
does not.
"""

from __future__ import annotations

import numpy as np

__all__ = ["invoke"]


def invoke(model: bytes, inputs, *, n_outputs: int = 1, arena_size: int = 1 << 20
           ) -> list[np.ndarray]:
    """Run ``model`` once on TFLite Micro's Python interpreter.

    ``inputs`` are arrays in the model's input order and exact shapes/dtypes;
    returns the ``n_outputs`` first outputs as arrays. A model TFLM refuses at
    prepare or invoke time raises :class:`RuntimeError` (from the runtime).
    """
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(bytes(model), arena_size=arena_size)
    for index, array in enumerate(inputs):
        interpreter.set_input(np.ascontiguousarray(array), index)
    interpreter.invoke()
    return [np.array(interpreter.get_output(i)) for i in range(n_outputs)]
