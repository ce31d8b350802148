"""mcunet_tf.supernet: weight sharing (centre-crop kernels, leading channels, skipped blocks), exact
extraction into plain tf_keras models, sandwich training, int8 conversion of an extracted subnet."""
import numpy as np
import pytest

from mcunet_tf.space import BlockConfig, SearchSpace, StageSpace, SubnetConfig


def small_space(resolution=16):
    """Every supernet feature: a fixed expand-1 stage, elastic depth (1-3), kernels 3/5/7, expand ratios
    including 1 (no expand conv), a stride-1 stage with a width change, a feature mix layer."""
    return SearchSpace(stages=[StageSpace(8, 1, (1,), (3,), (1,)),
                               StageSpace(16, 2, (1, 2, 3), expand_choices=(1, 3, 6)),
                               StageSpace(24, 1, (1, 2)),
                               StageSpace(32, 2, (1, 2))],
                       first_conv_base_width=8, kernel_choices=(3, 5, 7), expand_choices=(3, 4, 6),
                       feature_mix_base_width=48, resolution=resolution, num_classes=10)


@pytest.fixture(scope="module")
def digits16():
    from mcunet_tf import data
    return data.digits(16, val_fraction=0.2, seed=0)


@pytest.fixture(scope="module")
def randomised_supernet():
    """An untrained supernet whose BN scales / offsets are random too (zero-initialised residual branches
    would hide half of the weight copy)."""
    from mcunet_tf.supernet import Supernet
    net = Supernet(small_space(), seed=1)
    rng = np.random.default_rng(2)
    weights = net.get_weights()
    for name, w in weights.items():
        if name.endswith("/gamma"):
            weights[name] = rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
        elif name.endswith("/beta") or name.endswith("/bias"):
            weights[name] = rng.uniform(-0.3, 0.3, w.shape).astype(np.float32)
    net.set_weights(weights)
    return net


def test_elastic_kernel_crop_is_the_centre():
    from mcunet_tf.supernet import elastic_kernel_crop
    kernel = np.arange(49).reshape(7, 7, 1, 1)
    assert elastic_kernel_crop(kernel, 7).shape == (7, 7, 1, 1)
    np.testing.assert_array_equal(elastic_kernel_crop(kernel, 3)[..., 0, 0], [[16, 17, 18], [23, 24, 25], [30, 31, 32]])
    np.testing.assert_array_equal(elastic_kernel_crop(kernel, 5)[..., 0, 0], kernel[1:6, 1:6, 0, 0])
    assert elastic_kernel_crop(kernel, 1)[..., 0, 0].tolist() == [[24]]
    with pytest.raises(ValueError):
        elastic_kernel_crop(kernel, 4)


def test_slots_and_extremes(randomised_supernet):
    net = randomised_supernet
    assert [(s.stage, s.index_in_stage, s.stride, s.residual, s.skippable) for s in net.slots] == [
        (0, 0, 1, True, False),
        (1, 0, 2, False, False), (1, 1, 1, True, True), (1, 2, 1, True, True),
        (2, 0, 1, False, False), (2, 1, 1, True, True),
        (3, 0, 2, False, False), (3, 1, 1, True, True)]
    assert net.slots[1].max_mid == 48 and net.slots[1].can_skip_expand
    largest, smallest = net.largest(), net.smallest()
    assert len(largest.blocks) == 8 and len(smallest.blocks) == 4
    assert {b.kernel_size for b in largest.blocks[1:]} == {7}
    assert [b.expand_ratio for b in smallest.blocks] == [1, 1, 3, 3]
    with pytest.raises(ValueError):  # not a subnet of the space: 40 channels
        net.assign(SubnetConfig(16, 8, [BlockConfig(3, 1, 8, 1, True), BlockConfig(3, 3, 40, 2)],
                                feature_mix_channels=48, num_classes=10))


def _configs(net):
    space = net.space
    yield net.largest()
    yield net.smallest()
    for seed in (3, 4, 5):
        yield space.sample(seed)


def test_extracted_subnet_equals_supernet_forward(randomised_supernet, digits16):
    """The copy is exact: with the same BatchNorm statistics, the extracted tf_keras model and the
    supernet's masked forward of that subnet agree (batch-statistics mode and inference mode)."""
    from mcunet_tf import zoo
    from mcunet_tf.supernet import bn_statistics_of
    net = randomised_supernet
    (x, _), (xv, _) = digits16
    calibration, probe = x[:128], xv[:64]
    for cfg in _configs(net):
        model = net.extract_subnet(cfg, calibration, batch_size=len(calibration))
        assert zoo.count_model_macs(model) > 0
        # Training-mode supernet on the calibration batch == inference with statistics of that batch.
        np.testing.assert_allclose(net(calibration, cfg).numpy(), model(calibration, training=False).numpy(),
                                   rtol=1e-3, atol=2e-3)
        # Inference mode on other images with the model's own statistics.
        expected = model(probe, training=False).numpy()
        got = net(probe, cfg, bn_statistics=bn_statistics_of(model)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_weights_are_leading_channels_and_centre_crops(randomised_supernet):
    net = randomised_supernet
    weights = net.get_weights()
    cfg = SubnetConfig(resolution=16, first_conv_channels=8, feature_mix_channels=48, num_classes=10, blocks=[
        BlockConfig(3, 1, 8, 1, True),
        BlockConfig(3, 3, 16, 2), BlockConfig(5, 1, 16, 1, True),     # stage 1, depth 2 (slot 3 skipped)
        BlockConfig(5, 4, 24, 1),                                     # stage 2, depth 1 (slot 5 skipped)
        BlockConfig(7, 6, 32, 2)])                                    # stage 3, depth 1 (slot 7 skipped)
    model = net.extract_subnet(cfg)
    # block1 (slot 1): 8 -> 24 channels of 48, 3x3 centre of 7x7.
    np.testing.assert_array_equal(model.get_layer("block1_expand").get_weights()[0], weights["slot1_expand/kernel"][..., :24])
    np.testing.assert_array_equal(model.get_layer("block1_depthwise").get_weights()[0],
                                  weights["slot1_depthwise/kernel"][2:5, 2:5, :24])
    np.testing.assert_array_equal(model.get_layer("block1_project").get_weights()[0],
                                  weights["slot1_project/kernel"][:, :, :24])
    np.testing.assert_array_equal(model.get_layer("block1_expand_bn").gamma.numpy(), weights["slot1_expand_bn/gamma"][:24])
    # block2 (slot 2): expand ratio 1, depthwise on the 16 input channels.
    assert "block2_expand" not in [layer.name for layer in model.layers]
    np.testing.assert_array_equal(model.get_layer("block2_depthwise").get_weights()[0],
                                  weights["slot2_depthwise/kernel"][1:6, 1:6, :16])
    # block3 is slot 4 (slot 3 skipped), block4 is slot 6.
    np.testing.assert_array_equal(model.get_layer("block3_project").get_weights()[0],
                                  weights["slot4_project/kernel"][:, :, :64])
    np.testing.assert_array_equal(model.get_layer("block4_depthwise").get_weights()[0],
                                  weights["slot6_depthwise/kernel"][:, :, :144])
    np.testing.assert_array_equal(model.get_layer("classifier").get_weights()[0], weights["classifier/kernel"])


@pytest.mark.e2e
def test_sandwich_training_save_load_and_int8_export(digits16, tmp_path):
    """A short sandwich training lowers the loss and gives every subnet (after BN re-calibration) far
    better than chance accuracy; the supernet round-trips through its file; an extracted subnet
    converts to a full-int8 .tflite whose predictions match the float model's."""
    import tensorflow as tf
    from mcunet_tf import export
    from mcunet_tf.supernet import Supernet
    space = SearchSpace(stages=[StageSpace(8, 1, (1,), (3,), (1,)), StageSpace(16, 2, (1, 2)),
                                StageSpace(24, 2, (1, 2))],
                        first_conv_base_width=8, resolution=16, num_classes=10)
    (x, y), (xv, yv) = digits16
    net = Supernet(space, seed=0)
    history = net.train(x, y, epochs=2, batch_size=64, verbose=0)
    assert history[1] < history[0] < 2.3
    path = str(tmp_path / "supernet.npz")
    net.save(path)
    again = Supernet.load(path)
    assert again.space == space and again.epochs_trained == 2
    for name, w in net.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[name], w)

    for cfg in (net.smallest(), space.sample(11)):
        model = again.extract_subnet(cfg, x[:300])
        accuracy = np.mean(np.argmax(model(xv, training=False).numpy(), -1) == yv)
        assert accuracy > 0.4, accuracy  # chance is 0.1; without re-calibrated BN it is near chance
    tflite = export.convert_int8(model, x[:64])
    interpreter = tf.lite.Interpreter(model_content=tflite)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    scale, zero = inp["quantization"]
    agree = 0
    float_predictions = np.argmax(model(xv[:100], training=False).numpy(), -1)
    for image, expected in zip(xv[:100], float_predictions):
        interpreter.set_tensor(inp["index"], np.clip(np.round(image / scale) + zero, -128, 127).astype(np.int8)[None])
        interpreter.invoke()
        agree += int(np.argmax(interpreter.get_tensor(out["index"])) == expected)
    assert agree >= 85, agree



@pytest.mark.e2e
def test_in_place_distillation_changes_only_the_smaller_subnets_targets(digits16):
    """`distill` trains the subnets other than the largest on its soft outputs: from the same seed and
    batches the epoch's mean loss differs (the smallest subnet's targets are no longer the labels) and
    stays finite."""
    from mcunet_tf.supernet import Supernet
    (x, y), _ = digits16
    x, y = x[:128], y[:128]
    histories = {}
    for distill in (False, True):
        net = Supernet(small_space(), seed=3)
        histories[distill] = net.train(x, y, epochs=1, batch_size=64, verbose=0, distill=distill, num_random=0)
    assert np.all(np.isfinite(histories[True])) and np.all(np.isfinite(histories[False]))
    assert histories[True][0] != pytest.approx(histories[False][0], rel=1e-3)
