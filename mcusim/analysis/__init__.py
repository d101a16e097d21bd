"""Analysis: the decisions mcusim helps with, from emulated runs.

One concept per module:

* :mod:`.measure` -- one model, one part, one synthesis mode, measured in the
  emulator, with its fit verdict per memory region (and a *what-if* run when
  the plan does not fit the part's SRAM);
* :mod:`.fit` -- a memory region's use against its capacity: margin or overflow;
* :mod:`.energy` -- the energy-per-inference estimate and its stated model;
* :mod:`.compare` -- boot vs lazy side by side on a part (``mcusim compare``);
* :mod:`.timeline` -- the SRAM timeline drawn in the terminal (``mcusim trace``);
* :mod:`.perfetto` -- the same run as Chrome Trace Event JSON (``--export``);
* :mod:`.schema` -- the small JSON-Schema subset the trace test validates with;
* :mod:`.regression` -- the fixed cycle-count suite and its baseline
  (``mcusim bench --check``).

Results are plain data with ``to_dict()`` and render themselves with rich
(``__rich_console__``); nothing here prints. docs/analysis.md describes them.
"""
