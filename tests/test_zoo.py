"""mcunet_tf.zoo and mcunet_tf.export: Keras models of subnets, BN calibration, int8 conversion, TFLM."""
import os

import numpy as np
import pytest

from conftest import BUILT_MODELS, SHARED_MODELS
from mcunet_tf.space import BlockConfig, SubnetConfig, count_macs, count_params, layers

CONFIG_DIR = os.path.join(SHARED_MODELS, "mcunet_configs")
STEMS = sorted(name[:-5] for name in os.listdir(CONFIG_DIR) if name.endswith(".json"))
ENGINE_OPS = {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "FULLY_CONNECTED"}


@pytest.fixture(scope="module")
def tf_modules():
    from mcunet_tf import export, zoo
    import tf_keras as keras
    return zoo, export, keras


def small_config():
    """Every block kind: expand-1, strided 3/5/7 depthwise, residuals, explicit mid_channels, feature mix."""
    return SubnetConfig(resolution=36, first_conv_channels=8, feature_mix_channels=48, num_classes=10, blocks=[
        BlockConfig(3, 1, 8, 1, residual=True),
        BlockConfig(5, 3, 16, 2),
        BlockConfig(3, 4, 16, 1, residual=True, mid_channels=56),
        BlockConfig(7, 6, 24, 2),
        BlockConfig(5, 3, 24, 1, residual=True),
    ])


@pytest.mark.parametrize("stem", STEMS)
def test_keras_macs_and_params_match_analytic(tf_modules, stem):
    zoo, _, keras = tf_modules
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))
    model = zoo.build_keras_model(cfg)
    assert zoo.count_model_macs(model) == count_macs(cfg)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == count_params(cfg)
    assert model.input_shape == (None, cfg.resolution, cfg.resolution, 3)
    assert model.output_shape == (None, cfg.num_classes)
    pads = [layer for layer in model.layers if isinstance(layer, keras.layers.ZeroPadding2D)]
    assert len(pads) == sum(layer.stride == 2 for layer in layers(cfg))
    keras.backend.clear_session()


def test_layers_follow_the_analytic_list(tf_modules):
    zoo, _, keras = tf_modules
    cfg = small_config()
    model = zoo.build_keras_model(cfg)
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    for layer in layers(cfg):
        if layer.kind in ("conv", "depthwise", "dense", "add"):
            assert shapes[layer.name] == layer.out_shape, layer.name
        if layer.pad:
            pad = model.get_layer(layer.name + "_pad")
            assert pad.padding == ((layer.pad[0], layer.pad[1]), (layer.pad[2], layer.pad[3]))


def test_random_init_is_reproducible_and_calibration_normalises(tf_modules):
    zoo, _, keras = tf_modules
    cfg = small_config()
    a = zoo.random_init(zoo.build_keras_model(cfg), seed=3)
    b = zoo.random_init(zoo.build_keras_model(cfg), seed=3)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    x = zoo.random_images(32, cfg.resolution, seed=1)
    assert x.dtype == np.float32 and x.min() >= -1 and x.max() <= 1
    zoo.calibrate_batchnorm(a, x, batch_size=32)
    bns = [layer for layer in a.layers if isinstance(layer, keras.layers.BatchNormalization)]
    probe = keras.Model(a.inputs, [bn.output for bn in bns])
    for bn, out in zip(bns, probe.predict(x, verbose=0)):
        gamma, beta, var = bn.gamma.numpy(), bn.beta.numpy(), bn.moving_variance.numpy()
        axes = tuple(range(out.ndim - 1))
        np.testing.assert_allclose(out.mean(axes), beta, atol=1e-3, err_msg=bn.name)
        expected_std = np.abs(gamma) * np.sqrt(var / (var + bn.epsilon))
        np.testing.assert_allclose(out.std(axes), expected_std, rtol=1e-2, atol=1e-3, err_msg=bn.name)
    logits = a.predict(x, verbose=0)
    assert np.all(np.isfinite(logits)) and np.abs(logits).max() < 100


@pytest.fixture(scope="module")
def small_models(tf_modules):
    zoo, export, _ = tf_modules
    cfg = small_config()
    model = zoo.build_random_model(cfg, seed=0, calibration_images=16)
    images = zoo.random_images(16, cfg.resolution, seed=2)
    return cfg, model, images, {io: export.convert_int8(model, images, io) for io in ("int8", "float32")}


def run_tflm(data, x):
    from tflite_micro.python.tflite_micro import runtime
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=4_000_000)
    interpreter.set_input(x, 0)
    interpreter.invoke()
    return interpreter.get_output(0)


def test_int8_model_ops_and_tflm(tf_modules, small_models):
    _, export, _ = tf_modules
    cfg, _, images, models = small_models
    ops = export.tflite_op_names(models["int8"])
    assert ENGINE_OPS <= set(ops) and ({"MEAN", "AVERAGE_POOL_2D"} & set(ops))
    assert "QUANTIZE" not in ops and "DEQUANTIZE" not in ops
    # 36 -> 18 -> 9 -> 5: the last strided conv sees an odd size, where TF 'SAME' pads 3|3 like ZeroPadding2D,
    # and the converter folds that PAD into the conv.
    strided = [layer for layer in layers(cfg) if layer.stride == 2]
    assert [layer.needs_pad_op for layer in strided] == [True, True, False]
    assert ops.count("PAD") == 2
    assert ops.count("ADD") == sum(b.residual for b in cfg.blocks)
    out = run_tflm(models["int8"], np.zeros((1, cfg.resolution, cfg.resolution, 3), np.int8))
    assert out.dtype == np.int8 and out.shape == (1, cfg.num_classes)


def test_float_io_model_matches_keras(tf_modules, small_models):
    _, export, _ = tf_modules
    cfg, model, images, models = small_models
    ops = export.tflite_op_names(models["float32"])
    assert ops[0] == "QUANTIZE" and ops[-1] == "DEQUANTIZE"
    assert ENGINE_OPS <= set(ops)
    x = images[:4]
    expected = model.predict(x, verbose=0)
    got = np.concatenate([run_tflm(models["float32"], x[i:i + 1]) for i in range(len(x))])
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.corrcoef(expected.ravel(), got.ravel())[0, 1] > 0.9


def test_convert_rejects_bad_io(tf_modules, small_models):
    _, export, _ = tf_modules
    _, model, images, _ = small_models
    with pytest.raises(ValueError, match="io_dtype"):
        export.convert_int8(model, images, io_dtype="uint8")


@pytest.mark.parametrize("stem", STEMS)
def test_built_models(tf_modules, stem):
    """The models scripts/build_models.py wrote (skipped when it has not been run)."""
    _, export, _ = tf_modules
    path = os.path.join(BUILT_MODELS, stem + ".int8.tflite")
    if not os.path.exists(path):
        pytest.skip(f"{path} not built (python scripts/build_models.py)")
    with open(path, "rb") as f:
        data = f.read()
    ops = export.tflite_op_names(data)
    assert set(ops) <= ENGINE_OPS | {"MEAN", "AVERAGE_POOL_2D"} and ENGINE_OPS - {"ADD"} <= set(ops)
    cfg = SubnetConfig.from_proxyless_json(os.path.join(CONFIG_DIR, stem + ".json"))
    assert ops.count("CONV_2D") + ops.count("DEPTHWISE_CONV_2D") == \
        sum(layer.kind in ("conv", "depthwise") for layer in layers(cfg))
    assert ops.count("PAD") == sum(layer.needs_pad_op for layer in layers(cfg))
    assert ops.count("ADD") == sum(b.residual for b in cfg.blocks)
