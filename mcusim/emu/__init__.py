"""The emulator: bare-metal Cortex-M ELFs on Unicorn, with a per-core cycle model.

    from mcusim.emu import emulate, Machine, EmulationFault
    result = emulate("app.elf", core="cortex-m4")          # or target="stm32f446re"

Modules, one concept each: :mod:`.elf` (loading, symbols), :mod:`.memmap`
(regions and permissions), :mod:`.decode` (Capstone, once per block),
:mod:`.timing` (per-core cycle tables), :mod:`.flash` (wait states and
accelerators), :mod:`.hook` (the compiled block hook), :mod:`.blocks` (the
block table the hook reads), :mod:`.peripherals` (DWT, ITM, SysTick, SCB),
:mod:`.semihost` (semihosting), :mod:`.sram` (stack measurement),
:mod:`.faults` (fault kinds and the typed exception), :mod:`.machine` (the run),
:mod:`.firmware` (the mcusim firmware's mailbox and trace records) and
:mod:`.modelrun` (``run_model``: a packed model through a part's firmware).
docs/emulator.md and docs/cycle-model.md describe them.
"""

from .faults import EmulationFault, FaultKind, FaultReport
from .machine import EmulatorError, Machine, emulate
from .modelrun import FirmwareStatusError, ModelRun, run_model
from .result import EmulationResult

__all__ = ["emulate", "Machine", "EmulationResult", "EmulationFault", "FaultKind", "FaultReport",
           "EmulatorError", "run_model", "ModelRun", "FirmwareStatusError"]
