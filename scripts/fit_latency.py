"""Fit the cost model's Flash-code and per-layer instruction terms to measured Cortex-M4 builds.

  python scripts/fit_latency.py [--out=mcunet_tf/latency_model.json] [--subnets=10] [--held_out=3]
                                [--widths=0.3,0.4,0.5] [--resolutions=48,64,80,96] [--seed=0] [--jobs=2]

For a handful of random subnets of `SearchSpace.mcunet(width, resolution)`: build the graph the converter
would produce (`cost.subnet_graph`, random int8 weights), generate C (`micro_runtime.codegen.generate`), build
it for Cortex-M4 -O2 (`target_cortexm.build`) and run it in QEMU with per-layer instruction counts
(profile_layers=True), plus a plain build for the Flash figure and the exact total.
Then, on the first `subnets - held_out` subnets:
- Flash code: `model_linked_flash_bytes - cost.data_bytes(engine graph) = c0 + c1 * layers` (least squares);
- per layer, per kernel family (`cost.kernel_family`, e.g. `conv_add`, `depthwise_inplace_k5s2`):
  instructions = a*MACs + b*output elements + c*output channels + d*output pixels + e, least squares (a family
  seen fewer than 8 times falls back to its base family without the kernel size, then to all layers);
and reports the error of the predicted totals (instructions, Flash) on the held-out subnets, in the JSON too.
No TensorFlow and no conversion: a run takes a couple of minutes. Re-run it whenever the kernels change.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time

import numpy as np
from absl import flags

import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mcunet_tf import cost  # noqa: E402
from mcunet_tf.space import SearchSpace, count_macs  # noqa: E402

OUT = flags.DEFINE_string("out", cost.LATENCY_MODEL_PATH, "where the fitted model (JSON) goes")
SUBNETS = flags.DEFINE_integer("subnets", 16, "subnets measured (fit + held out)")
HELD_OUT = flags.DEFINE_integer("held_out", 4, "of which the last N are only used to report the error")
WIDTHS = flags.DEFINE_list("widths", ["0.3", "0.5", "0.7"], "width multipliers the subnets are drawn from")
RESOLUTIONS = flags.DEFINE_list("resolutions", ["48", "80", "112", "144"], "resolutions the subnets are drawn from")
SEED = flags.DEFINE_integer("seed", 0, "sampling seed")
JOBS = flags.DEFINE_integer("jobs", 2, "subnets built and run at once")
WORK_DIR = flags.DEFINE_string("work_dir", None, "where sources, builds and measurements.json go (default: a "
                                "temporary directory)")
FROM_MEASUREMENTS = flags.DEFINE_string("from_measurements", None, "refit from a measurements.json of an earlier "
                                        "run instead of building and running again")

FEATURES = ("macs", "out", "channels", "pixels", "one")
MIN_SAMPLES = 8


def kernels_digest() -> str:
    """A short hash of the kernel sources, to tell which kernels a fitted model belongs to."""
    h = hashlib.sha256()
    for folder in ("micro_runtime/kernels", "micro_runtime/include"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith((".c", ".h")) and not name.endswith("_test.c"):
                with open(os.path.join(ROOT, folder, name), "rb") as f:
                    h.update(name.encode() + f.read())
    return h.hexdigest()[:12]


def sample_subnets(n: int, widths: list[float], resolutions: list[int], seed: int):
    """`n` (width, resolution, cfg) spread over the grid: round robin over the pairs, a random subnet each."""
    rng = np.random.default_rng(seed)
    pairs = [(w, r) for w in widths for r in resolutions]
    order = rng.permutation(len(pairs))
    out = []
    for i in range(n):
        w, r = pairs[order[i % len(pairs)]]
        out.append((w, r, SearchSpace.mcunet(w, r).sample(int(rng.integers(1 << 30)))))
    return out


def measure(index: int, cfg, work: str) -> dict:
    """Generate, build (plain and profiled) and run one subnet; per-layer families, features and counts."""
    from micro_runtime import target_cortexm
    from micro_runtime.codegen import generate
    from tflite_patch.graph import save_tflite

    start = time.time()
    gen = generate(save_tflite(cost.subnet_graph(cfg, random_weights=index)), "model")
    d = os.path.join(work, f"subnet{index}")
    gen.write(os.path.join(d, "src"))
    rng = np.random.default_rng(index)
    x = rng.integers(-128, 128, gen.input_bytes[0], dtype=np.int8).tobytes()
    plain = target_cortexm.build(os.path.join(d, "src"), "model", target="cortex-m4", opt="-O2", inputs=[x],
                                 out_dir=os.path.join(d, "plain"))
    prof = target_cortexm.build(os.path.join(d, "src"), "model", target="cortex-m4", opt="-O2", inputs=[x],
                                profile_layers=True, out_dir=os.path.join(d, "prof"))
    total = target_cortexm.run(plain).instructions[0]
    per_layer = target_cortexm.run(prof).layer_instructions
    engine = gen.graph
    if len(per_layer) != len(engine.ops):
        raise RuntimeError(f"subnet {index}: {len(per_layer)} layer counts for {len(engine.ops)} ops")
    layers = [{"family": cost.kernel_family(engine, op, gen.plan.scratch.get(i, (0, 0))[1]),
               "features": cost.layer_features(engine, op), "instructions": n}
              for i, (op, n) in enumerate(zip(engine.ops, per_layer))]
    emitted = emitted_data_bytes(gen.files["model.c"])
    return {"index": index, "arena_bytes": gen.arena_bytes, "flash_bytes": plain.model_linked_flash_bytes,
            "data_bytes": cost.data_bytes(engine), "emitted_data_bytes": emitted, "n_ops": len(engine.ops), "instructions": total,
            "layers": layers, "seconds": round(time.time() - start, 1)}


C_SIZES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "float": 4}


def emitted_data_bytes(source: str) -> int:
    """Bytes of the `static const` arrays in a generated model.c: what `cost.data_bytes` must predict."""
    import re
    arrays = re.findall(r"^static const (\w+) (?:MR_CONST )?\w+\[(\d+)\]", source, re.M)
    return sum(C_SIZES[t] * int(n) for t, n in arrays)


def _least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(a).max(axis=0), 1e-12)  # column scaling for conditioning
    x, *_ = np.linalg.lstsq(a / scale, b, rcond=None)
    return x / scale


def fit_family(rows: list[dict]) -> dict[str, float]:
    a = np.array([[r["features"][f] for f in FEATURES] for r in rows], np.float64)
    b = np.array([r["instructions"] for r in rows], np.float64)
    coefs = _least_squares(a, b)
    return {f: float(f"{c:.6g}") for f, c in zip(FEATURES, coefs)}


def fit(measured: list[dict]) -> dict:
    """The JSON model from measured subnets (flash and latency sections)."""
    layers = [layer for m in measured for layer in m["layers"]]
    by_family: dict[str, list[dict]] = {}
    by_base: dict[str, list[dict]] = {}
    for layer in layers:
        by_family.setdefault(layer["family"], []).append(layer)
        by_base.setdefault(layer["family"].split("_k")[0], []).append(layer)
    families = {}
    for name, rows in sorted({**by_base, **by_family}.items()):
        if len(rows) >= MIN_SAMPLES:
            families[name] = fit_family(rows)
    fallback = fit_family(layers)
    n = np.array([[1.0, m["n_ops"]] for m in measured])
    code = np.array([m["flash_bytes"] - m["data_bytes"] for m in measured], np.float64)
    (c0, c1), *_ = np.linalg.lstsq(n, code, rcond=None)
    model = {"flash": {"code_constant_bytes": round(float(c0), 1), "code_bytes_per_layer": round(float(c1), 2)},
             "latency": {"cycles_per_instruction": 1.0, "invoke_constant": 0.0, "features": list(FEATURES),
                         "families": families, "fallback": fallback}}
    # invoke overhead: what a whole inference counts beyond its layers (input / output copies)
    overhead = [m["instructions"] - sum(layer["instructions"] for layer in m["layers"]) for m in measured]
    model["latency"]["invoke_constant"] = round(float(np.median(overhead)), 1)
    return model


def predict_instructions(m: dict, model: dict) -> float:
    return model["latency"].get("invoke_constant", 0.0) + sum(
        cost.predict_layer_instructions(layer["family"], layer["features"], model) for layer in m["layers"])


def predict_flash(m: dict, model: dict) -> float:
    fl = model["flash"]
    return m["data_bytes"] + fl["code_constant_bytes"] + fl["code_bytes_per_layer"] * m["n_ops"]


def errors(measured: list[dict], model: dict) -> dict:
    rows = []
    for m in measured:
        pi, pf = predict_instructions(m, model), predict_flash(m, model)
        rows.append({"subnet": m["name"], "macs": m["macs"], "instructions": m["instructions"],
                     "predicted_instructions": int(round(pi)),
                     "instructions_error_pct": round(100 * (pi - m["instructions"]) / m["instructions"], 2),
                     "flash_bytes": m["flash_bytes"], "predicted_flash_bytes": int(round(pf)),
                     "flash_error_pct": round(100 * (pf - m["flash_bytes"]) / m["flash_bytes"], 2)})
    return {"mean_abs_instructions_error_pct": round(float(np.mean([abs(r["instructions_error_pct"]) for r in rows])), 2),
            "max_abs_instructions_error_pct": round(float(np.max([abs(r["instructions_error_pct"]) for r in rows])), 2),
            "mean_abs_flash_error_pct": round(float(np.mean([abs(r["flash_error_pct"]) for r in rows])), 2),
            "max_abs_data_bytes_error": int(max(abs(m["data_bytes"] - m.get("emitted_data_bytes", m["data_bytes"]))
                                                for m in measured)),
            "subnets": rows}


def measure_all() -> list[dict]:
    """Measure `--subnets` subnets, `--jobs` at a time; also saved as <work_dir>/measurements.json."""
    work = WORK_DIR.value or tempfile.mkdtemp(prefix="fit_latency_")
    os.makedirs(work, exist_ok=True)
    subnets = sample_subnets(SUBNETS.value, [float(w) for w in WIDTHS.value], [int(r) for r in RESOLUTIONS.value],
                             SEED.value)
    measured: list[dict | None] = [None] * len(subnets)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, JOBS.value)) as pool:
        futures = {pool.submit(measure, i, cfg, work): i for i, (_, _, cfg) in enumerate(subnets)}
        for future in concurrent.futures.as_completed(futures):
            i = futures[future]
            m = future.result()
            w, r, cfg = subnets[i]
            m.update(name=f"w{w}-r{r}-#{i}", macs=count_macs(cfg), config=cfg.to_dict())
            measured[i] = m
            print(f"  {m['name']}: {m['macs'] / 1e6:.1f}M MACs, {m['n_ops']} layers, {m['instructions']:,} "
                  f"instructions, Flash {m['flash_bytes']:,} B ({m['seconds']} s)", flush=True)
    with open(os.path.join(work, "measurements.json"), "w") as f:
        json.dump(measured, f)
    print(f"measurements in {os.path.join(work, 'measurements.json')}")
    return measured


def main(argv):
    del argv
    if not 0 < HELD_OUT.value < SUBNETS.value:
        sys.exit("error: need 0 < --held_out < --subnets")
    start = time.time()
    if FROM_MEASUREMENTS.value:
        with open(FROM_MEASUREMENTS.value) as f:
            measured = json.load(f)
        if len(measured) != SUBNETS.value:
            sys.exit(f"error: {FROM_MEASUREMENTS.value} holds {len(measured)} subnets, --subnets={SUBNETS.value}")
    else:
        measured = measure_all()
    n_fit = SUBNETS.value - HELD_OUT.value
    model = fit(measured[:n_fit])
    held = errors(measured[n_fit:], model)
    train = errors(measured[:n_fit], model)
    model["meta"] = {
        "fitted": datetime.datetime.now().isoformat(timespec="seconds"), "target": "cortex-m4 -O2 (QEMU mps2-an386)",
        "kernels_sha256": kernels_digest(), "fit_subnets": [m["name"] for m in measured[:n_fit]],
        "fit_layers": sum(len(m["layers"]) for m in measured[:n_fit]),
        "train": {k: v for k, v in train.items() if k != "subnets"}, "held_out": held,
        "command": "python scripts/fit_latency.py " + " ".join(
            f"--{k}={','.join(v) if isinstance(v, list) else v}" for k, v in
            (("subnets", SUBNETS.value), ("held_out", HELD_OUT.value), ("widths", WIDTHS.value),
             ("resolutions", RESOLUTIONS.value), ("seed", SEED.value)))}
    tmp = OUT.value + ".tmp"
    with open(tmp, "w") as f:
        json.dump(model, f, indent=1)
        f.write("\n")
    os.replace(tmp, OUT.value)
    print(f"fitted on {n_fit} subnets ({model['meta']['fit_layers']} layers): train error "
          f"{train['mean_abs_instructions_error_pct']}% instructions, {train['mean_abs_flash_error_pct']}% Flash")
    print("held out:")
    for r in held["subnets"]:
        print(f"  {r['subnet']}: instructions {r['instructions']:,} predicted {r['predicted_instructions']:,} "
              f"({r['instructions_error_pct']:+.1f}%), Flash {r['flash_bytes']:,} predicted "
              f"{r['predicted_flash_bytes']:,} ({r['flash_error_pct']:+.2f}%)")
    print(f"cost.data_bytes vs the generated constant arrays: max |error| "
          f"{max(train['max_abs_data_bytes_error'], held['max_abs_data_bytes_error'])} bytes")
    print(f"held-out mean |error|: {held['mean_abs_instructions_error_pct']}% instructions, "
          f"{held['mean_abs_flash_error_pct']}% Flash; wrote {OUT.value} in {time.time() - start:.0f} s")


if __name__ == "__main__":
    cli.run(main)
