"""Models through the firmware images: outputs equal the interpreter's, the
measured arena high-water equals the plan's, cycles are deterministic.

Needs the emulator and the committed firmware images (firmware_images/)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from mcusim.cli import main
from mcusim.emu import FirmwareStatusError, run_model
from mcusim.emu.firmware import image_path
from mcusim.examples import build_example
from mcusim.format import write_model

TARGETS = ["nrf52840", "stm32f446re", "stm32h743zi", "stm32l476rg", "stm32l073rz"]


@pytest.fixture(scope="module")
def tiny():
    model = build_example("tiny")
    length, channels = model.input_shape
    x = np.random.default_rng(7).integers(-128, 128, (3, length, channels), dtype=np.int8)
    x[0] = -128                                    # the edges
    x[1] = 127
    return write_model(model), model, x


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("mode", ["boot", "lazy"])
def test_outputs_arena_and_determinism(tiny, target, mode):
    if not image_path(target).exists():
        pytest.skip(f"no image for {target}")
    data, model, x = tiny
    run = run_model(data, x, target=target, mode=mode)
    assert run.verified, run.mismatch
    assert run.sram.arena_measured == run.sram.arena_planned
    assert run.sram.arena_planned <= run.sram.arena_capacity
    assert 0 < run.sram.stack_peak < run.sram.stack_size
    assert run.flash.used == run.flash.firmware + len(data)
    again = run_model(data, x, target=target, mode=mode, verify=False)
    assert again.cycles.total == run.cycles.total
    assert again.emulation.instructions == run.emulation.instructions


@pytest.mark.parametrize("target,mode", [("nrf52840", "boot"), ("stm32h743zi", "lazy"),
                                         ("stm32l073rz", "lazy")])
def test_ecg32k(target, mode):
    model = build_example("ecg-32k")
    length, channels = model.input_shape
    x = np.random.default_rng(3).integers(-128, 128, (2, length, channels), dtype=np.int8)
    run = run_model(model, x, target=target, mode=mode)
    assert run.verified, run.mismatch
    assert run.sram.arena_measured == run.sram.arena_planned
    assert run.cycles.per_inference > 0


def test_phases_and_timeline(tiny):
    data, model, x = tiny
    boot = run_model(data, x, target="stm32f446re", mode="boot")
    lazy = run_model(data, x, target="stm32f446re", mode="lazy")
    n_gen = len(model.generated)
    assert boot.synthesized == n_gen and lazy.synthesized == n_gen * len(x)
    assert len(boot.cycles.inferences) == len(x)
    assert set(boot.cycles.layers) == set(range(len(model.layers)))
    assert len(boot.cycles.boot_synthesis_layers) == n_gen and boot.cycles.boot_synthesis > 0
    assert lazy.cycles.boot_synthesis == 0
    assert all(len(v) == len(x) for v in lazy.cycles.lazy_synthesis_layers.values())
    # the job brackets everything, inferences fit in the job
    assert boot.cycles.job < boot.cycles.total
    assert sum(boot.cycles.inferences) + boot.cycles.boot_synthesis < boot.cycles.job
    # every marker sampled: SP within the stack, plan buffers within the arena
    tl = boot.sram.timeline
    assert len(tl) == 2 * len(boot.spans)
    assert all(0 <= s.stack <= boot.sram.stack_peak for s in tl)
    assert max(s.activations + s.cache_scratch for s in tl) <= boot.sram.arena_planned
    assert boot.sram.cache_scratch == sum(e.size for e in model.plans[0].entries
                                          if e.kind == 1)
    doc = boot.to_dict()
    assert doc["verified_against_interpreter"] is True
    assert doc["sram"]["timeline"][0]["phase"] == "begin reset"


def test_a_refused_job_is_a_typed_error():
    """ecg-32k's boot plan needs more arena than the STM32L073's 20 kB of SRAM leave."""
    model = build_example("ecg-32k")
    length, channels = model.input_shape
    with pytest.raises(FirmwareStatusError) as info:
        run_model(model, np.zeros((1, length, channels), np.int8), target="stm32l073rz",
                  mode="boot")
    assert info.value.status == 6                  # MCUSIM_E_ARENA
    assert info.value.detail == model.plans[0].arena_size
    message = str(info.value)
    assert f"the boot plan needs a {model.plans[0].arena_size:,}-byte arena" in message
    assert f"the stm32l073rz image has {info.value.aux:,} bytes; try --mode lazy" in message


def test_cli_run_emulate(tmp_path, tiny):
    data, model, x = tiny
    path = tmp_path / "tiny.bin"
    path.write_bytes(data)
    np.save(tmp_path / "x.npy", x)
    env = {"NO_COLOR": "1", "COLUMNS": "100"}
    args = ["run", str(path), "--input", str(tmp_path / "x.npy"), "--emulate",
            "--target", "stm32l073rz", "--mode", "lazy"]
    res = CliRunner().invoke(main, args, env=env)
    assert res.exit_code == 0, res.output
    assert "outputs equal the host interpreter's, byte for byte" in res.output
    assert "stm32l073rz (cortex-m0plus at 32 MHz)" in res.output
    doc = json.loads(CliRunner().invoke(main, args + ["--json"], env=env).stdout)
    assert doc["verified_against_interpreter"] is True
    assert doc["sram"]["arena_measured"] == doc["sram"]["arena_planned"]
    assert doc["cycles"]["total"] > 0 and doc["flash"]["model"] == len(data)


def test_a_fault_names_the_firmware_phase(tiny):
    from mcusim.emu import EmulationFault, FaultKind
    data, model, x = tiny
    with pytest.raises(EmulationFault) as info:
        run_model(data, x, target="nrf52840", mode="lazy", max_instructions=150_000)
    report = info.value.report
    assert report.kind == FaultKind.INSTRUCTION_BUDGET
    assert report.phase.startswith("job > ")
    assert report.instructions <= 150_000
