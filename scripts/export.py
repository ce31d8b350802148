"""Quantize a trained tf_keras model to an int8 .tflite: TF-MOT quantization-aware fine-tuning, then the
TFLite converter with full-integer quantization; reports float and int8 accuracy (the int8 model run by
TF Lite Micro and by tf.lite.Interpreter).

  python scripts/export.py --keras_model=model.keras --data=data.npz --qat_epochs=2 --out=model.tflite

--data is a .npz with x_train, y_train, x_val, y_val (float NHWC inputs, integer labels), or "digits"
for scikit-learn's digits at the model's input resolution.
"""
import os
import sys

from absl import flags

import cli

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

KERAS_MODEL = flags.DEFINE_string("keras_model", None, "a saved tf_keras model (.keras, .h5 or SavedModel dir)",
                                  required=True)
DATA = flags.DEFINE_string("data", "digits", "a .npz with x_train, y_train, x_val, y_val, or 'digits'")
QAT_EPOCHS = flags.DEFINE_integer("qat_epochs", 2, "quantization-aware fine-tuning epochs (0: post-training only)")
IO = flags.DEFINE_enum("io", "int8", ["int8", "float32"], "dtype of the model's input and output tensors")
OUT = flags.DEFINE_string("out", None, "where the .tflite goes", required=True)


def load_data(spec: str, resolution: int):
    import numpy as np
    if spec == "digits":
        from mcunet_tf.data import digits
        return digits(resolution)
    with np.load(spec) as d:
        return (d["x_train"], d["y_train"]), (d["x_val"], d["y_val"])


def main(argv):
    del argv
    import numpy as np
    try:
        import tf_keras as keras
        from mcunet_tf import export
        from tflite_patch.files import atomic_write
        try:
            model = keras.models.load_model(KERAS_MODEL.value, compile=False)
        except (OSError, ValueError, ImportError) as e:
            sys.exit(f"error: cannot load {KERAS_MODEL.value} as a tf_keras model: {str(e).splitlines()[0]}")
        try:
            (x, y), (xv, yv) = load_data(DATA.value, int(model.input_shape[1]))
        except (OSError, KeyError, ValueError) as e:
            sys.exit(f"error: cannot read data {DATA.value}: {str(e).splitlines()[0]}")
        if tuple(x.shape[1:]) != tuple(model.input_shape[1:]):
            sys.exit(f"error: data shape {x.shape[1:]} does not match the model's input {model.input_shape[1:]}")
        logits = model.predict(xv, verbose=0)
        float_acc = float(np.mean(np.argmax(logits, -1) == yv))
        print(f"float accuracy {float_acc:.4f}; quantization-aware training {QAT_EPOCHS.value} epochs ...", flush=True)
        data = export.quantize_and_convert(model, x[:200], qat_epochs=QAT_EPOCHS.value, train_data=(x, y),
                                           io_dtype=IO.value)
        int8_acc = export.tflite_accuracy(data, xv, yv, "tflm")
        ref_acc = export.tflite_accuracy(data, xv, yv, "tflite")
        atomic_write(OUT.value, data)
    except KeyboardInterrupt:
        sys.exit("error: interrupted; nothing written")
    print(f"wrote {OUT.value} ({len(data):,} bytes): float {float_acc:.4f}, int8 {int8_acc:.4f} in TFLM "
          f"({ref_acc:.4f} in tf.lite)")


if __name__ == "__main__":
    cli.run(main)
