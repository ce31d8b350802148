"""The whole MCUNet flow for a data set and a device budget, in one output directory:
stage 1 (search space) -> TinyNAS (supernet + evolutionary oracle) -> best subnet -> QAT -> int8 .tflite
-> generated C (host, Cortex-M, Arduino library) -> benchmark against TF Lite Micro -> report.

`scripts/mcunet.py` is its command line; `make demo` runs it on a built-in default.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time

import numpy as np

from tflite_patch.files import atomic_write, atomic_write_json


@dataclasses.dataclass
class PipelineConfig:
    """What to search for and where to put it. Budget: a device preset or explicit SRAM/Flash kB."""
    out_dir: str
    dataset: str = "digits"  # "digits", a .npz or an image folder (`mcunet_tf.data.load`)
    channels: int | None = None  # input channels; None: the data's own (digits: 3)
    pixel_range: tuple[float, float] = (-1.0, 1.0)
    device: str | None = None
    sram_kb: float | None = None
    flash_kb: float | None = None
    latency_ms: float | None = None
    clock_mhz: float | None = None
    widths: tuple[float, ...] = (0.25, 0.35, 0.5)
    resolutions: tuple[int, ...] = (24, 32)
    stage1_samples: int = 200
    trials: int = 10
    supernet_epochs: int = 6
    finetune_epochs: int = 6
    finetune_top: int = 3  # the best subnets (by inherited-weight accuracy) fine-tuned; the best after wins
    qat_epochs: int = 2
    bench_inputs: int = 100
    cm_inputs: int = 10
    seed: int = 0


def deploy(model, name: str, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
           out_dir: str, qat_epochs: int = 2, bench_inputs: int = 100, cm_inputs: int = 10,
           log=print) -> dict:
    """QAT + int8 conversion of a trained tf_keras `model`, C for every target, and the head-to-head
    benchmark against TFLM. Writes `<name>.tflite`, `c/` (portable C), `arduino/<name>/` (library),
    `bench.json` and `plan.png` into `out_dir`; returns the figures for the report."""
    from micro_runtime.bench import bench_model
    from micro_runtime.codegen import generate
    from micro_runtime.schedule import plan_engine
    from mcunet_tf import export
    from mcunet_tf.progress import fit_verbose
    from tflite_patch.report import plan_model, plot_live_bytes

    (x, y), (xv, yv) = train, val
    float_acc = float(np.mean(np.argmax(model.predict(xv, verbose=0), -1) == yv))
    log(f"QAT: {qat_epochs} epochs, then int8 conversion (float accuracy {float_acc:.4f})")
    start = time.time()
    tflite = export.quantize_and_convert(model, x[:200], qat_epochs=qat_epochs, train_data=(x, y),
                                         verbose=fit_verbose(1))
    int8_acc = export.tflite_accuracy(tflite, xv, yv, "tflm")
    tflite_acc = export.tflite_accuracy(tflite, xv, yv, "tflite")
    log(f"int8: accuracy {int8_acc:.4f} in TFLM, {tflite_acc:.4f} in tf.lite ({time.time() - start:.0f} s)")
    atomic_write(os.path.join(out_dir, f"{name}.tflite"), tflite)

    generate(tflite, name, "portable").write(os.path.join(out_dir, "c"))
    generate(tflite, name, "arduino").write(os.path.join(out_dir, "arduino", name))
    log(f"C written to {out_dir}/c and the Arduino library to {out_dir}/arduino/{name}")

    plan, _ = plan_model(tflite, name, inputs_checked=5, engine_plan=plan_engine)
    plot_live_bytes(plan, os.path.join(out_dir, "plan.png"))
    log(f"benchmark against TFLM ({bench_inputs} inputs on the host, {cm_inputs} on Cortex-M4 in QEMU)")
    result = bench_model(tflite, name, inputs=bench_inputs, target="cortex-m4", cm_inputs=cm_inputs,
                         tflite_interpreter=False, log=log)
    atomic_write_json(os.path.join(out_dir, "bench.json"), [result.to_json()])
    return {"float_accuracy": float_acc, "int8_accuracy_tflm": int8_acc, "int8_accuracy_tflite": tflite_acc,
            "tflite_bytes": len(tflite), "plan": plan.to_json(), "bench": result.to_json()}


def make_budget(config: PipelineConfig):
    """The budget of `config`: its device preset, with explicit SRAM / Flash / latency on top."""
    from mcunet_tf import cost
    return cost.make_budget(config.device, config.sram_kb, config.flash_kb, config.latency_ms, config.clock_mhz)


def load_data(config: PipelineConfig, resolution: int):
    """The configured data set at `resolution`, as ((x, y), (x_val, y_val))."""
    from mcunet_tf import data
    return data.load(config.dataset, resolution, seed=config.seed, channels=config.channels,
                     pixel_range=tuple(config.pixel_range))


def run(config: PipelineConfig, log=print) -> dict:
    """Run the whole flow; returns the report (also written to `out_dir/report.json` and `.txt`).

    The search state lives in `out_dir/search` (Keras Tuner's directory): a run that is interrupted
    resumes there, trials already done are not repeated. Results are rewritten at each run."""
    from mcunet_tf import stage1
    from mcunet_tf.cost import subnet_cost
    from mcunet_tf.tuner import TinyNAS

    budget = make_budget(config)
    os.makedirs(config.out_dir, exist_ok=True)
    start = time.time()
    (x, y), (xv, yv) = load_data(config, max(config.resolutions))
    num_classes, channels = int(max(y.max(), yv.max())) + 1, int(x.shape[-1])
    log(f"stage 1: {len(config.widths)} widths x {len(config.resolutions)} resolutions, "
        f"{config.stage1_samples} samples each, budget {budget}")
    choice = stage1.optimize_search_space(budget, widths=config.widths, resolutions=config.resolutions,
                                          samples=config.stage1_samples, seed=config.seed, log=log,
                                          num_classes=num_classes, in_channels=channels)
    if choice.best is None:
        raise ValueError(f"no subnet of any (width, resolution) in the grid fits {budget}")
    atomic_write(os.path.join(config.out_dir, "stage1.json"), choice.to_json())
    choice.plot(os.path.join(config.out_dir, "stage1_cdf.png"))
    log(choice.table())
    width, resolution = choice.best.width, choice.best.resolution
    log(f"stage 1 chose width {width}, resolution {resolution} ({time.time() - start:.0f} s)")

    (x, y), (xv, yv) = load_data(config, resolution)
    tuner = TinyNAS(choice.best_space(num_classes=num_classes, in_channels=channels), budget=budget,
                    objective="val_accuracy", max_trials=config.trials,
                    directory=os.path.join(config.out_dir, "search"), project_name="tinynas",
                    supernet_epochs=config.supernet_epochs, finetune_epochs=config.finetune_epochs,
                    seed=config.seed)
    tuner.search(x, y, validation_data=(xv, yv))
    trials, models, tuned, pick = tuner.best_after_fine_tuning(config.finetune_top, xv, yv)
    best_cfg, model = tuner.config(trials[pick]), models[pick]
    atomic_write(os.path.join(config.out_dir, "best_subnet.json"), best_cfg.to_json())
    log(tuner.best_table(5))
    log(f"kept rank {pick + 1} of the {len(models)} fine-tuned: val_accuracy "
        + ", ".join(f"{a:.4f}" for a in tuned))

    name = "mcunet_model"
    figures = deploy(model, name, (x, y), (xv, yv), config.out_dir, qat_epochs=config.qat_epochs,
                     bench_inputs=config.bench_inputs, cm_inputs=config.cm_inputs, log=log)
    predicted = subnet_cost(best_cfg, budget.clock_mhz)
    bench = figures["bench"]
    fits = (budget.sram_kb is None or bench["ours_ram_bytes"] <= budget.sram_kb * 1024) and \
        (budget.flash_kb is None or bench["ours_flash_bytes"] <= budget.flash_kb * 1024)
    report = {"dataset": config.dataset, "budget": dataclasses.asdict(budget),
              "stage1": {"width": width, "resolution": resolution}, "subnet": json.loads(best_cfg.to_json()),
              "predicted_cost": predicted.to_dict(), "fits_budget": fits, **figures,
              **latency_figures(figures, name, config.out_dir, budget.clock_mhz),
              "seconds": round(time.time() - start, 1)}
    save_report(report, config.out_dir)
    return report


def latency_figures(figures: dict, name: str, out_dir: str, clock_mhz: float) -> dict:
    """The per-layer analysis (`mcunet_tf.analyze`) of the deployed model and its latency at the device's
    clock: predicted, and measured from the Cortex-M4 instruction count of the benchmark."""
    from mcunet_tf.analyze import analyze
    with open(os.path.join(out_dir, f"{name}.tflite"), "rb") as f:
        tflite = f.read()
    bench = figures["bench"]
    analysis = analyze(tflite, name, clock_mhz, measured_layers=bench["cm4_layers"], bench=bench)
    totals = analysis.totals()
    measured = bench["ours_cm4_instructions"]
    return {"clock_mhz": clock_mhz,
            "latency_ms": {"predicted": analysis.ms(totals["predicted_instructions"]
                                                    + analysis.invoke_instructions_predicted),
                           "measured": None if measured is None else analysis.ms(measured)},
            "layers": analysis.to_json()}


def format_report(report: dict) -> str:
    """The closing table of a pipeline run."""
    b = report["bench"]
    rows = [
        ("data set / budget", f"{report['dataset']}, SRAM {report['budget']['sram_kb']} kB, "
                              f"Flash {report['budget']['flash_kb']} kB"),
        ("search space (stage 1)", f"width {report['stage1']['width']}, resolution {report['stage1']['resolution']}"),
        ("accuracy float / int8", f"{report['float_accuracy']:.4f} / {report['int8_accuracy_tflm']:.4f} "
                                  f"(TFLM; tf.lite {report['int8_accuracy_tflite']:.4f})"),
        ("MACs", f"{b['macs']:,}"),
        ("RAM ours / TFLM arena", f"{b['ours_ram_bytes']:,} B / {b['tflm_arena_bytes']:,} B "
                                  f"({b['ours_ram_bytes'] / b['tflm_arena_bytes']:.2f}x)"),
        ("Flash (Cortex-M4, -O2)", f"{b['ours_flash_bytes']:,} B"),
        ("host time ours / TFLM", f"{b['ours_host_ms']:.3f} ms / {b['tflm_host_ms']:.3f} ms "
                                  f"({b['host_speedup_vs_tflm']:.1f}x)"),
        ("Cortex-M4 instructions", f"{b['ours_cm4_instructions']:,} ({b['ours_cm4_instructions_per_mac']:.2f} / MAC)"),
        (f"latency at {report['clock_mhz']:g} MHz", _latency_text(report["latency_ms"])),
        ("bit-exact with TFLM", f"{'yes' if b['bit_exact'] and b['cm4_bit_exact'] else 'NO'} "
                                f"({b['inputs_checked']} host inputs, {b['cm4_inputs_checked']} on Cortex-M4)"),
        ("fits the budget", "yes" if report["fits_budget"] else "NO"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def _latency_text(latency: dict) -> str:
    measured = latency["measured"]
    return f"{latency['predicted']:.2f} ms predicted" + ("" if measured is None else f", {measured:.2f} ms measured")


def save_report(report: dict, out_dir: str) -> None:
    """report.json, and report.txt: the closing table and the per-layer analysis."""
    from mcunet_tf.analyze import Analysis, format_analysis
    table = format_analysis(Analysis.from_json(report["layers"]))
    atomic_write_json(os.path.join(out_dir, "report.json"), report)
    atomic_write(os.path.join(out_dir, "report.txt"), f"{format_report(report)}\n\n{table}\n")


def reset_dir(path: str) -> None:
    """Remove a previous run's results (the search state lives elsewhere and is kept)."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def load_report(out_dir: str) -> dict:
    with open(os.path.join(out_dir, "report.json")) as f:
        return json.load(f)
