"""The per-layer report (mcunet_tf/analyze.py): its rows add up to its totals and to the cost model's figures
for the whole engine graph, at the device's own clock. With a measured Cortex-M4 profile: tests/test_pipeline.py
(the pipeline's report.json)."""
import json

import pytest

from conftest import MLPERF, read
from mcunet_tf import cost
from mcunet_tf.analyze import Analysis, analyze, format_analysis
from micro_runtime.codegen import generate
from tflite_patch.costs import graph_macs
from tflite_patch.graph import load_tflite

KWS = next(p for p in MLPERF if "kws" in p)
F412_MHZ = cost.DEVICES["stm32f412"].clock_mhz


@pytest.fixture(scope="module")
def kws():
    return read(KWS)


def test_rows_add_up_to_the_totals_and_the_cost_model(kws):
    a = analyze(kws, "kws", F412_MHZ)
    t = a.totals()
    assert t["macs"] == sum(r.macs for r in a.layers) == graph_macs(load_tflite(kws))
    assert t["flash_bytes"] == sum(r.flash_bytes for r in a.layers)
    gen = generate(kws, "kws")
    data, code, instructions = cost.engine_cost(gen.graph, gen.plan)
    assert t["flash_bytes"] == data and a.code_bytes_predicted == code
    assert abs(t["predicted_instructions"] + a.invoke_instructions_predicted - instructions) <= len(a.layers)
    assert t["peak_live_bytes"] == max(r.live_bytes for r in a.layers) <= a.arena_bytes == gen.arena_bytes
    assert t["predicted_ms"] == pytest.approx(sum(r.predicted_ms for r in a.layers))
    assert t["measured_instructions"] is None and "meas. instr" not in format_analysis(a)


def test_milliseconds_are_at_the_given_clock(kws):
    f412, f746 = analyze(kws, "kws", F412_MHZ), analyze(kws, "kws", cost.DEVICES["stm32f746"].clock_mhz)
    assert f412.clock_mhz == 100.0
    for r in f412.layers:
        assert r.predicted_ms == pytest.approx(r.predicted_instructions * f412.cycles_per_instruction / 100e3)
    assert f412.totals()["predicted_ms"] == pytest.approx(f746.totals()["predicted_ms"] * 216 / 100)
    assert "clock 100 MHz" in format_analysis(f412)


def test_json_round_trip(kws):
    a = analyze(kws, "kws", F412_MHZ)
    back = Analysis.from_json(json.loads(json.dumps(a.to_json())))
    assert back == a and format_analysis(back) == format_analysis(a)


def test_a_profile_of_another_model_is_refused(kws):
    with pytest.raises(ValueError, match="the profile has 2 layers, the generated code 13"):
        analyze(kws, "kws", F412_MHZ, measured_layers=[{"instructions": 1}] * 2)
