"""The user's own model and data: Keras 3 models rebuilt in tf_keras (mcunet_tf/keras3.py), `.npz` files and
image folders read by mcunet_tf/data.py, and scripts/export.py taking both."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def keras3_digits_model(resolution: int = 8, channels: int = 1, softmax: bool = True, keras3_only: bool = False):
    """A small Keras 3 functional model: conv-BN-ReLU, a residual depthwise block, a dense head; with
    `keras3_only` an RMSNormalization too (a layer tf_keras does not have)."""
    import keras
    inputs = keras.Input((resolution, resolution, channels))
    h = keras.layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    h = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(h))
    h = keras.layers.Add()([h, keras.layers.DepthwiseConv2D(3, padding="same")(h)])
    h = keras.layers.GlobalAveragePooling2D()(h)
    if keras3_only:
        h = keras.layers.RMSNormalization(name="rms")(h)
    outputs = keras.layers.Dense(10, activation="softmax" if softmax else None)(h)
    return keras.Model(inputs, outputs, name="k3_digits")


def digits_pixels(n_per_class: int | None = None):
    """Digits as uint8 grayscale pixels (N, 8, 8) and labels."""
    from mcunet_tf import data
    (x, y), _ = data.digits(8, val_fraction=0.1, channels=1)
    pixels = np.round((x[..., 0] + 1.0) * 127.5).astype(np.uint8)
    if n_per_class is None:
        return pixels, y
    keep = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(10)])
    return pixels[keep], y[keep]


def write_image_folder(folder, pixels, labels, rgb: bool = False):
    import tensorflow as tf
    for i, (image, label) in enumerate(zip(pixels, labels)):
        os.makedirs(folder / f"class_{label}", exist_ok=True)
        image = np.repeat(image[..., None], 3 if rgb else 1, -1)
        (folder / f"class_{label}" / f"{i}.png").write_bytes(tf.io.encode_png(image).numpy())


# ------------------------------------------------------------------------------------------------ Keras 3
def test_keras3_model_rebuilds_in_tf_keras_with_its_weights():
    import tf_keras
    from mcunet_tf import keras3
    model = keras3_digits_model(16, 3)
    rebuilt = keras3.to_tf_keras(model)
    assert keras3.is_keras3(model) and isinstance(rebuilt, tf_keras.Model)
    x = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(rebuilt(x, training=False).numpy(), np.asarray(model(x, training=False)), atol=1e-5)
    assert [type(layer).__name__ for layer in rebuilt.layers] == [type(layer).__name__ for layer in model.layers]
    assert keras3.to_tf_keras(rebuilt) is rebuilt


def test_keras3_nested_sequential_rebuilds():
    import keras
    from mcunet_tf import keras3
    head = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                             keras.layers.Dense(3)], name="head")
    inputs = keras.Input((6, 6, 2))
    model = keras.Model(inputs, keras.layers.Softmax()(head(inputs)))
    x = np.random.default_rng(2).normal(size=(3, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(keras3.to_tf_keras(model)(x).numpy(), np.asarray(model(x)), atol=1e-5)


def test_unmapped_keras3_layer_is_named_in_one_line():
    from mcunet_tf import keras3
    from tflite_patch.graph import ModelError
    with pytest.raises(ModelError, match=r"^layer 'rms' \(RMSNormalization\) has no tf_keras equivalent.*--ptq"):
        keras3.to_tf_keras(keras3_digits_model(keras3_only=True))


def test_keras3_only_option_is_named_in_one_line():
    import keras
    from mcunet_tf import keras3
    from tflite_patch.graph import ModelError
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, lora_rank=2, name="adapted")(inputs))
    with pytest.raises(ModelError, match=r"^layer 'adapted' \(Dense\) uses lora_rank=2, which tf_keras does not"):
        keras3.to_tf_keras(model)


def test_from_logits_follows_the_last_activation():
    import keras
    import tf_keras
    from mcunet_tf import keras3
    assert keras3.outputs_probabilities(keras3_digits_model(softmax=True))
    assert not keras3.outputs_probabilities(keras3_digits_model(softmax=False))
    inputs = tf_keras.Input((4,))
    assert keras3.outputs_probabilities(tf_keras.Model(inputs, tf_keras.layers.Activation("softmax")(
        tf_keras.layers.Dense(3)(inputs))))
    assert not keras3.outputs_probabilities(tf_keras.Model(inputs, tf_keras.layers.Dense(3)(inputs)))
    k_inputs = keras.Input((4,))
    assert keras3.outputs_probabilities(keras.Model(k_inputs, keras.layers.Softmax()(keras.layers.Dense(3)(k_inputs))))


# ------------------------------------------------------------------------------------------------ data
def test_npz_pixels_are_fitted_to_the_model_input(tmp_path):
    from mcunet_tf import data
    pixels, labels = digits_pixels()
    np.savez(tmp_path / "d.npz", x=pixels, y=labels)
    (x, y), (xv, yv) = data.load(str(tmp_path / "d.npz"), 16, channels=3, val_fraction=0.25)
    assert x.shape[1:] == (16, 16, 3) and x.dtype == np.float32 and len(x) + len(xv) == len(pixels)
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() < -0.99 and x.max() > 0.99
    assert set(np.unique(yv)) == set(range(10))  # stratified
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    (g, _), _ = data.load(str(tmp_path / "d.npz"), None, pixel_range=(0.0, 1.0))
    assert g.shape[1:] == (8, 8, 1) and g.min() >= 0.0 and g.max() <= 1.0


def test_npz_validation_arrays_are_used_as_given(tmp_path):
    from mcunet_tf import data
    rng = np.random.default_rng(0)
    x, xv = rng.normal(size=(20, 5, 5, 3)).astype(np.float32), rng.normal(size=(6, 5, 5, 3)).astype(np.float32)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(20) % 2, x_val=xv, y_val=np.eye(2)[np.arange(6) % 2])
    (x1, y1), (xv1, yv1) = data.load(str(tmp_path / "d.npz"), 5, channels=3)
    np.testing.assert_array_equal(x1, x)  # float data: the user's own scaling
    np.testing.assert_array_equal(xv1, xv)
    np.testing.assert_array_equal(yv1, np.arange(6) % 2)  # one-hot rows read as class ids
    (gray, _), _ = data.load(str(tmp_path / "d.npz"), 5, channels=1)
    np.testing.assert_allclose(gray[..., 0], x.mean(-1), rtol=1e-6)


@pytest.mark.parametrize("content, message", [
    ({"images": np.zeros((4, 8, 8))}, "it needs x and y"),
    ({"x": np.zeros((4, 8, 8)), "y": np.zeros(3, int)}, "y must hold 4 integer class ids"),
    ({"x": np.zeros((4, 8)), "y": np.zeros(4, int)}, "images must be"),
    ({"x": np.zeros((4, 8, 8)), "y": np.zeros(4, int), "x_val": np.zeros((2, 8, 8))}, "without the other"),
])
def test_bad_npz_is_one_clear_error(tmp_path, content, message):
    from mcunet_tf import data
    np.savez(tmp_path / "d.npz", **content)
    with pytest.raises(ValueError, match=message):
        data.load(str(tmp_path / "d.npz"), 8)


def test_truncated_npz_is_one_clear_error(tmp_path):
    from mcunet_tf import data
    pixels, labels = digits_pixels(5)
    np.savez(tmp_path / "d.npz", x=pixels, y=labels)
    (tmp_path / "d.npz").write_bytes((tmp_path / "d.npz").read_bytes()[:300])
    with pytest.raises(ValueError, match=r"cannot read .*d.npz as a .npz"):
        data.load(str(tmp_path / "d.npz"), 8)


def test_unknown_data_set_is_one_clear_error(tmp_path):
    from mcunet_tf import data
    with pytest.raises(ValueError, match=r"neither a built-in one \(digits, glyphs\), an existing .npz file "
                                         "nor an image folder"):
        data.load(str(tmp_path / "missing.npz"), 8)


def test_image_folder_reads_classes_channels_and_resolution(tmp_path):
    from mcunet_tf import data
    pixels, labels = digits_pixels(6)
    write_image_folder(tmp_path / "gray", pixels, labels)
    (x, y), (xv, yv) = data.load(str(tmp_path / "gray"), None, val_fraction=0.2)
    assert x.shape[1:] == (8, 8, 1) and len(x) + len(xv) == 60 and len(xv) == 12
    assert sorted(np.concatenate([y, yv]).tolist()) == sorted(labels.tolist())
    # the images come back as written (pixels -> [-1, 1]), each with its class
    written = {(int(label), image.tobytes()) for image, label in zip(pixels, labels)}
    back = np.round((np.concatenate([x, xv])[..., 0] + 1.0) * 127.5).astype(np.uint8)
    assert {(int(label), image.tobytes()) for image, label in zip(back, np.concatenate([y, yv]))} == written
    write_image_folder(tmp_path / "rgb", pixels[:20], labels[:20], rgb=True)
    (x3, _), _ = data.load(str(tmp_path / "rgb"), 12, channels=1)
    assert x3.shape[1:] == (12, 12, 1)


# ------------------------------------------------------------------------------------------------ export.py
def run_export(*args):
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export.py"), *map(str, args)],
                         capture_output=True, text=True, timeout=900)
    return res


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("error")]


@pytest.fixture(scope="module")
def trained_keras3(tmp_path_factory):
    """A Keras 3 digits model saved as .keras, trained a little on grayscale 8x8 digits."""
    import keras
    from mcunet_tf import data
    (x, y), _ = data.digits(8, channels=1)
    model = keras3_digits_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    keras.utils.set_random_seed(0)
    model.fit(x, y, epochs=20, batch_size=64, verbose=0)
    path = tmp_path_factory.mktemp("k3") / "model_k3.keras"
    model.save(path)
    return path


@pytest.mark.e2e
def test_export_keras3_model_with_npz_and_image_folder(trained_keras3, tmp_path):
    pixels, labels = digits_pixels()
    np.savez(tmp_path / "digits8.npz", x=pixels, y=labels)
    res = run_export(f"--keras_model={trained_keras3}", f"--data={tmp_path / 'digits8.npz'}", "--qat_epochs=1",
                     f"--out={tmp_path / 'a.tflite'}")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "quantization-aware training 1 epochs" in res.stdout
    float_acc, int8_acc, tflite_acc, c_acc = map(float, re.search(
        r"float ([0-9.]+), int8 ([0-9.]+) in TFLM \(([0-9.]+) in tf.lite, ([0-9.]+) in our C\)", res.stdout).groups())
    # trained a little (3x chance at least); our C gives TFLM's bytes, so its accuracy is TFLM's exactly
    assert float_acc > 0.3 and int8_acc > 0.3 and tflite_acc > 0.3 and c_acc == int8_acc, res.stdout
    write_image_folder(tmp_path / "images", *digits_pixels(20))
    res = run_export(f"--keras_model={trained_keras3}", f"--data={tmp_path / 'images'}", "--ptq",
                     f"--out={tmp_path / 'b.tflite'}")
    assert res.returncode == 0 and "post-training quantization" in res.stdout, res.stderr[-3000:]
    assert (tmp_path / "b.tflite").stat().st_size > 1000


@pytest.mark.e2e
def test_export_unmapped_keras3_layer_needs_ptq(tmp_path):
    path = tmp_path / "rms.keras"
    keras3_digits_model(keras3_only=True).save(path)
    res = run_export(f"--keras_model={path}", "--data=digits", "--qat_epochs=1", f"--out={tmp_path / 'o.tflite'}")
    assert res.returncode != 0 and error_lines(res.stderr) == [
        "error: layer 'rms' (RMSNormalization) has no tf_keras equivalent for quantization-aware training: export it "
        "post-training (--ptq / qat_epochs=0)"], res.stderr[-3000:]
    assert not (tmp_path / "o.tflite").exists()
    res = run_export(f"--keras_model={path}", "--data=digits", "--ptq", f"--out={tmp_path / 'o.tflite'}")
    assert res.returncode == 0 and (tmp_path / "o.tflite").exists(), res.stderr[-3000:]


@pytest.mark.e2e
def test_export_tf_keras_grayscale_model_with_image_folder(tmp_path):
    from mcunet_tf import zoo
    from mcunet_tf.space import BlockConfig, SubnetConfig
    cfg = SubnetConfig(resolution=12, first_conv_channels=8, num_classes=10, in_channels=1,
                       blocks=[BlockConfig(3, 1, 8), BlockConfig(3, 3, 16, stride=2)])
    zoo.build_keras_model(cfg).save(tmp_path / "gray.keras")
    write_image_folder(tmp_path / "images", *digits_pixels(10))
    res = run_export(f"--keras_model={tmp_path / 'gray.keras'}", f"--data={tmp_path / 'images'}", "--qat_epochs=1",
                     f"--out={tmp_path / 'g.tflite'}")
    assert res.returncode == 0, res.stderr[-3000:]
    from tflite_patch import load_tflite
    graph = load_tflite((tmp_path / "g.tflite").read_bytes())
    assert tuple(graph.tensors[graph.inputs[0]].shape) == (1, 12, 12, 1)


def test_export_bad_data_is_one_line(tmp_path):
    keras3_digits_model().save(tmp_path / "model.keras")
    np.savez(tmp_path / "bad.npz", images=np.zeros((3, 8, 8)))
    res = run_export(f"--keras_model={tmp_path / 'model.keras'}", f"--data={tmp_path / 'bad.npz'}",
                     f"--out={tmp_path / 'o.tflite'}")
    assert res.returncode != 0 and len(error_lines(res.stderr)) == 1, res.stderr[-3000:]
    assert "it needs x and y" in error_lines(res.stderr)[0] and not (tmp_path / "o.tflite").exists()


def test_pipeline_bad_dataset_is_one_line(tmp_path):
    np.savez(tmp_path / "labels_only.npz", y=np.zeros(4, int))
    res = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "mcunet.py"),
                          f"--dataset={tmp_path / 'labels_only.npz'}", "--sram_kb=32", "--flash_kb=200",
                          f"--out_dir={tmp_path / 'run'}"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode != 0 and error_lines(res.stderr) == [
        f"error: {tmp_path / 'labels_only.npz'} holds ['y']: it needs x and y (optional x_val, y_val)"], res.stderr
