"""The whole pipeline on a tiny budget: stage 1 -> TinyNAS -> QAT -> int8 .tflite -> C -> compiled and run
on the host and on Cortex-M4 (QEMU) -> the same bytes as TFLM, within the budget."""
import json
import os

from mcunet_tf.pipeline import PipelineConfig, format_report, run


def test_pipeline_end_to_end_on_a_tiny_budget(tmp_path):
    out = tmp_path / "run"
    config = PipelineConfig(out_dir=str(out), dataset="digits", sram_kb=32, flash_kb=200, widths=(0.25,),
                            resolutions=(16,), stage1_samples=40, trials=3, supernet_epochs=1, finetune_epochs=1,
                            qat_epochs=1, bench_inputs=10, cm_inputs=2)
    report = run(config, log=lambda s: None)
    bench = report["bench"]
    assert bench["bit_exact"] and bench["cm4_bit_exact"] and bench["inputs_checked"] == 10
    assert report["fits_budget"]
    assert bench["ours_ram_bytes"] <= 32 * 1024 and bench["ours_flash_bytes"] <= 200 * 1024
    # The planner's arena for the generated code is what the cost model predicted for the subnet.
    assert report["predicted_cost"]["sram_bytes"] == bench["ours_arena_bytes"]
    assert report["int8_accuracy_tflm"] == report["int8_accuracy_tflite"]
    for name in ("mcunet_model.tflite", "report.json", "report.txt", "bench.json", "stage1.json", "plan.png",
                 "c/mcunet_model.c", "arduino/mcunet_model/library.properties"):
        assert (out / name).exists(), name
    assert json.loads((out / "report.json").read_text())["bench"]["bit_exact"] is True
    assert "bit-exact with TFLM     yes" in format_report(report)
    assert os.path.isdir(out / "search" / "tinynas")
