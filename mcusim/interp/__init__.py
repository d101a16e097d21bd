"""The Numba interpreter: compiled twins of the reference kernels
(:mod:`mcusim.interp.ops`, :mod:`mcusim.interp.quant`, :mod:`mcusim.interp.synth`)
and the executor that runs a packed model over a batch of windows in its
planned arena (:mod:`mcusim.interp.executor`)."""
