"""The committed firmware images (firmware_images/*.elf and manifest.json).

* The linker scripts and per-target flags agree with the target data
  (mcusim/targets/*.json): no compiler needed.
* The manifest describes the committed files (hashes, sections, symbols) and
  the current sources: no compiler needed, so stale images fail everywhere.
* Each image follows the memory layout of its part (vector table, stack,
  mailbox, model partition, arena).
* Where arm-none-eabi-gcc is installed: rebuilding every image in a temporary
  directory gives byte-identical ELFs and manifest (CI installs it).
* Where unicorn is installed: each image runs the example models through its
  mailbox, boot and lazy, and its outputs equal the reference (real SXTB16/
  SMLAD on the M4/M7 images, the ARMv6-M code on the M0+ one); bad jobs end
  with the status code as the semihosting exit code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess

import numpy as np
import pytest

from firmware_host import (ADP_APPLICATION_EXIT, KERNELS, ROOT, STATUS, reference_run,
                           run_image)
from mcusim.targets import load_target, target_names
from mcusim.targets.linker import generated_files

IMAGES = ROOT / "firmware_images"
MANIFEST = IMAGES / "manifest.json"
TARGETS = target_names()

no_cross = shutil.which("arm-none-eabi-gcc") is None
needs_cross = pytest.mark.skipif(no_cross, reason="arm-none-eabi-gcc is not installed "
                                 "(Debian: apt-get install gcc-arm-none-eabi); the committed "
                                 "images are still checked against the manifest")


def _manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def _manifest_tool():
    spec = importlib.util.spec_from_file_location("mcusim_fw_manifest",
                                                  KERNELS / "tools" / "manifest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_targets_are_the_makefile_targets():
    text = (KERNELS / "Makefile").read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("TARGETS"))
    assert sorted(line.split(":=")[1].split()) == TARGETS
    assert sorted(_manifest()["images"]) == TARGETS


@pytest.mark.parametrize("name", TARGETS)
def test_linker_script_and_flags_match_target_data(name):
    for file, text in generated_files(load_target(name)).items():
        committed = (KERNELS / "targets" / file).read_text()
        assert committed == text, (f"kernels/targets/{file} disagrees with "
                                   f"mcusim/targets/{name}.json: run `make -C kernels targets`")


@pytest.mark.parametrize("name", TARGETS)
def test_target_figures_have_sources(name):
    doc = load_target(name).raw
    for key in ("core", "clock_hz", "flash_wait_states", "supply_voltage",
                "active_current_ua_per_mhz"):
        assert doc[key]["source"].strip(), f"{name}: {key} has no source"
    for region in doc["memory"]:
        assert region["source"].strip(), f"{name}: region {region['name']} has no source"


def test_manifest_describes_the_committed_files():
    m = _manifest()
    tool = _manifest_tool()
    assert m["source_sha256"] == tool.source_hash(KERNELS), (
        "kernels/ changed since the images were built: run `make -C kernels` and commit "
        "firmware_images/")
    for name, image in m["images"].items():
        data = (IMAGES / image["file"]).read_bytes()
        assert image["sha256"] == hashlib.sha256(data).hexdigest(), f"{name}.elf is not the manifest's"
        sections, symbols = tool.elf_sections_and_symbols(data)
        assert image["sections"] == {k: v["size"] for k, v in sorted(sections.items())}
        assert image["symbols"] == dict(sorted(symbols.items()))
        for key in (".text", ".rodata", ".data", ".bss"):
            assert key in image["sections"] or key == ".data"
        assert image["text"] == image["sections"][".text"]


@pytest.mark.skipif(importlib.util.find_spec("elftools") is None,
                    reason="pyelftools is not installed")
@pytest.mark.parametrize("name", TARGETS)
def test_image_follows_the_parts_memory_map(name):
    from elftools.elf.elffile import ELFFile

    t = load_target(name)
    image = _manifest()["images"][name]
    sym = {k: int(v, 16) for k, v in image["symbols"].items()}
    with open(IMAGES / image["file"], "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_ARM" and elf["e_entry"] == sym["Reset_Handler"] | 1
        text = elf.get_section_by_name(".text")
        vectors = text.data()[:8]
        assert text["sh_addr"] == t.flash.address == sym["mcusim_vectors"]
    stack_top, reset = np.frombuffer(vectors, "<u4")
    assert stack_top == sym["__stack_top"] == t.sram.end
    assert reset == sym["Reset_Handler"] | 1
    assert sym["mcusim_mailbox"] == t.sram.address
    assert sym["__model_start"] == t.model_address
    assert sym["__model_end"] == t.model_address + t.model_size
    assert sym["__stack_top"] - sym["__stack_limit"] == t.stack_size
    assert sym["__arena_end"] == sym["__stack_limit"] and sym["__arena_start"] % 16 == 0
    assert image["flash_used"] <= t.firmware_size
    assert image["arena"] == sym["__arena_end"] - sym["__arena_start"]
    assert image["static_sram"] + image["arena"] + image["stack"] <= t.sram.size


@needs_cross
def test_images_rebuild_byte_identical(tmp_path):
    version = subprocess.run(["arm-none-eabi-gcc", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0].strip()
    if version != _manifest()["compiler"]:
        pytest.skip(f"the images were built with '{_manifest()['compiler']}', this machine has "
                    f"'{version}': byte-identical rebuilds need the same compiler")
    out, build = tmp_path / "images", tmp_path / "build"
    subprocess.run(["make", "-C", str(KERNELS), "-s", "-j2", f"OUT={out}", f"BUILD={build}"],
                   check=True, capture_output=True)
    for name in TARGETS:
        assert (out / f"{name}.elf").read_bytes() == (IMAGES / f"{name}.elf").read_bytes(), (
            f"{name}.elf is stale or not reproducible: run `make -C kernels` and commit")
    assert (out / "manifest.json").read_text() == MANIFEST.read_text()


# --------------------------------------------------------------------------
# the images run
# --------------------------------------------------------------------------
needs_unicorn = pytest.mark.skipif(importlib.util.find_spec("unicorn") is None
                                   or importlib.util.find_spec("elftools") is None,
                                   reason="unicorn/pyelftools are not installed: the images "
                                   "are not run")


@pytest.fixture(scope="module")
def models():
    from mcusim.examples import build_example
    from mcusim.format import write_model
    out = {}
    for name in ("tiny", "ecg-32k"):
        model = build_example(name)
        out[name] = (model, write_model(model))
    return out


def _windows(model, n, seed):
    rng = np.random.default_rng(seed)
    t, c = model.input_shape
    return rng.integers(-128, 128, size=(n, t, c)).astype(np.int8)


def _check(run, model, windows, mode):
    assert run.exit_code == 0 and run.status == 0, (run.exit, run.text, run.mailbox[12:15])
    assert run.mailbox[22] == 0x454E4F44, "done flag"
    assert run.mailbox[15] == len(windows)
    out_nbytes = model.tensors[model.output_tensor].nbytes
    start = -(-out_nbytes // 4) * 4
    for k, win in enumerate(windows):
        out, cls = reference_run(model, win)
        got = run.records[k, :out_nbytes].view(np.int8).reshape(out.shape)
        assert np.array_equal(got, out), f"window {k}: {got} != {out}"
        assert int(run.records[k, start:start + 4].view("<i4")[0]) == cls
    phases = [(e, p) for e, p, _, _ in run.trace.phases]
    assert phases[:2] == [("begin", "reset"), ("end", "reset")]
    assert phases[2] == ("begin", "job") and phases[-1] == ("end", "job")
    n_gen = len(model.generated)
    synth = "synth_boot" if mode == 0 else "synth_lazy"
    assert phases.count(("begin", synth)) == (n_gen if mode == 0 else n_gen * len(windows))
    assert run.trace.statuses == [(0, len(windows), run.mailbox[16])]
    assert run.stack_used <= 1536, f"stack high-water {run.stack_used} bytes"


@needs_unicorn
@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("name", TARGETS)
def test_image_runs_tiny_model(models, name, mode):
    model, data = models["tiny"]
    windows = _windows(model, 3, seed=11)
    _check(run_image(IMAGES / f"{name}.elf", name, data, windows, mode), model, windows, mode)


@needs_unicorn
@pytest.mark.parametrize("mode", [0, 1])
@pytest.mark.parametrize("name", ["nrf52840", "stm32h743zi", "stm32l073rz"])
def test_image_runs_ecg_model(models, name, mode):
    model, data = models["ecg-32k"]
    t = load_target(name)
    if model.plans[mode].arena_size > _manifest()["images"][name]["arena"]:
        run = run_image(IMAGES / f"{name}.elf", name, data, _windows(model, 1, 3), mode)
        assert run.status == STATUS["E_ARENA"] and run.exit_code == STATUS["E_ARENA"]
        return
    assert len(data) <= t.model_size
    windows = _windows(model, 2, seed=5)
    _check(run_image(IMAGES / f"{name}.elf", name, data, windows, mode), model, windows, mode)


@needs_unicorn
def test_bad_model_exits_with_its_status(models):
    model, data = models["tiny"]
    bad = b"XXXX" + data[4:]
    run = run_image(IMAGES / "nrf52840.elf", "nrf52840", bad, _windows(model, 1, 0), 0)
    assert run.status == STATUS["E_MAGIC"] and run.mailbox[22] == 0x454E4F44
    assert run.exit == ("exit_extended", ADP_APPLICATION_EXIT, STATUS["E_MAGIC"])
    assert run.trace.statuses == [(STATUS["E_MAGIC"], 0, run.mailbox[14])]
    assert b"status 0x00000011" in run.text


@needs_unicorn
def test_unknown_mode_and_too_many_windows(models):
    model, data = models["tiny"]
    run = run_image(IMAGES / "stm32l073rz.elf", "stm32l073rz", data, _windows(model, 1, 0), 7)
    assert run.status == run.exit_code == STATUS["E_MODE"]
    run = run_image(IMAGES / "stm32l073rz.elf", "stm32l073rz", data, _windows(model, 4, 0), 0,
                    out_capacity=8)
    assert run.status == run.exit_code == STATUS["E_WINDOWS"]
