"""Quantize a trained Keras model (tf_keras or Keras 3) to an int8 .tflite: TF-MOT quantization-aware
fine-tuning (a Keras 3 model is rebuilt in tf_keras for it), or post-training quantization with --ptq,
then the TFLite converter with full-integer quantization; reports float and int8 accuracy (the int8 model
run by TF Lite Micro and by tf.lite.Interpreter).

  mcunet-export --keras_model=model.keras --data=data.npz --qat_epochs=2 --out=model.tflite
  mcunet-export --keras_model=model.keras --data=images/ --ptq --out=model.tflite

--data is the built-in "digits", a .npz (x, y and optional x_val, y_val; x_train/y_train also read) or an
image folder (one subfolder per class). Images are resized to the model's input resolution and given its
channel count; pixels (integer arrays, image files, digits) are scaled onto --pixel_range, float arrays
are taken as they are.
"""
import sys

from absl import flags

from mcunet_tf.cli import common as cli
KERAS_MODEL = flags.DEFINE_string("keras_model", None, "a saved Keras model: Keras 3 or tf_keras .keras, .h5 or "
                                  "SavedModel dir", required=True)
DATA = flags.DEFINE_string("data", "digits", "'digits', a .npz (x, y, optional x_val, y_val) or an image folder")
PIXEL_RANGE = flags.DEFINE_list("pixel_range", ["-1", "1"], "the model's input range for pixels 0..255")
QAT_EPOCHS = flags.DEFINE_integer("qat_epochs", 2, "quantization-aware fine-tuning epochs (0: post-training only)")
PTQ = flags.DEFINE_bool("ptq", False, "post-training quantization only (no QAT; any Keras 3 model converts)")
FROM_LOGITS = flags.DEFINE_enum("from_logits", "auto", ["auto", "true", "false"],
                                "QAT loss on logits; auto: false when the model ends in a softmax")
IO = flags.DEFINE_enum("io", "int8", ["int8", "float32"], "dtype of the model's input and output tensors")
OUT = flags.DEFINE_string("out", None, "where the .tflite goes", required=True)


def load_data(spec: str, input_shape):
    """((x, y), (x_val, y_val)) fitted to the model's input (H, W, C), or exits with one line."""
    from mcunet_tf import data
    try:
        pixel_range = tuple(float(v) for v in PIXEL_RANGE.value)
        if len(pixel_range) != 2:
            raise ValueError(f"--pixel_range takes two numbers, not {PIXEL_RANGE.value}")
        (x, y), (xv, yv) = data.load(spec, int(input_shape[1]), channels=int(input_shape[3]),
                                     pixel_range=pixel_range)
    except (OSError, KeyError, ValueError) as e:
        sys.exit(f"error: cannot read data {spec}: {str(e).splitlines()[0]}")
    if tuple(x.shape[1:]) != tuple(input_shape[1:]):
        sys.exit(f"error: data shape {x.shape[1:]} does not match the model's input {tuple(input_shape[1:])}")
    return (x, y), (xv, yv)


def _run(argv):
    del argv
    try:
        from mcunet_tf import export, keras3
        from mcunet_tf.progress import fit_verbose
        from tflite_patch.files import atomic_write
        try:
            model = keras3.load_model(KERAS_MODEL.value)
        except (OSError, ValueError, ImportError, TypeError) as e:
            sys.exit(f"error: cannot load {KERAS_MODEL.value} as a Keras model: {str(e).strip().splitlines()[0]}")
        (x, y), (xv, yv) = load_data(DATA.value, tuple(model.inputs[0].shape))
        qat_epochs = 0 if PTQ.value else QAT_EPOCHS.value
        from_logits = None if FROM_LOGITS.value == "auto" else FROM_LOGITS.value == "true"
        float_acc = export.float_accuracy(model, xv, yv)
        print(f"float accuracy {float_acc:.4f}; " + (f"quantization-aware training {qat_epochs} epochs ..."
              if qat_epochs else "post-training quantization ..."), flush=True)
        data = export.quantize_and_convert(model, x[:200], qat_epochs=qat_epochs, train_data=(x, y),
                                           io_dtype=IO.value, from_logits=from_logits, verbose=fit_verbose(1))
        int8_acc = export.tflite_accuracy(data, xv, yv, "tflm")
        ref_acc = export.tflite_accuracy(data, xv, yv, "tflite")
        try:
            c_acc = f"{export.tflite_accuracy(data, xv, yv, 'c'):.4f}"
        except ValueError as e:  # ModelError: an op our generator does not take; the .tflite is still good
            c_acc = f"n/a ({str(e).splitlines()[0]})"
        atomic_write(OUT.value, data)
    except ValueError as e:  # ModelError: a layer that does not map, a model TF-MOT refuses
        sys.exit(f"error: {str(e).splitlines()[0]}")
    except KeyboardInterrupt:
        sys.exit("error: interrupted; nothing written")
    print(f"wrote {OUT.value} ({len(data):,} bytes): float {float_acc:.4f}, int8 {int8_acc:.4f} in TFLM "
          f"({ref_acc:.4f} in tf.lite, {c_acc} in our C)")


def main(argv: list[str] | None = None) -> None:
    """`mcunet-export`: flags from `argv` (default: sys.argv)."""
    cli.run(_run, argv)


if __name__ == "__main__":
    main()
