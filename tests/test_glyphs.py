"""The generated `glyphs` data set: deterministic, in range, balanced, validation drawn from other digits."""
import numpy as np
import pytest

from mcunet_tf import glyphs


def test_same_arguments_same_arrays_other_seed_other_arrays():
    a = glyphs.glyphs(24, num_train=64, num_val=16, seed=3)
    b = glyphs.glyphs(24, num_train=64, num_val=16, seed=3)
    c = glyphs.glyphs(24, num_train=64, num_val=16, seed=4)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a[0][0], c[0][0])


def test_shapes_range_and_classes():
    (x, y), (xv, yv) = glyphs.glyphs(32, num_train=600, num_val=100, channels=3)
    assert x.shape == (600, 32, 32, 3) and xv.shape == (100, 32, 32, 3) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    counts = np.bincount(y, minlength=10)
    assert counts.min() > 30 and set(np.unique(yv)) <= set(range(10))
    # clutter and noise: no image is a clean digit on a flat background
    assert np.all(x.reshape(600, -1).std(axis=1) > 0.05)


def test_validation_images_come_from_other_source_digits():
    (train, _), (val, _) = glyphs._sources(0.25, seed=0)
    assert len(val) == pytest.approx(0.25 * (len(train) + len(val)), rel=0.02)
    train_keys = {t.tobytes() for t in train}
    assert not any(v.tobytes() in train_keys for v in val)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="resolution"):
        glyphs.glyphs(4)
    with pytest.raises(ValueError, match="val_fraction"):
        glyphs.glyphs(16, num_train=8, num_val=8, val_fraction=1.0)


def test_glyphs_is_a_built_in_data_set_of_data_load():
    from mcunet_tf import data
    assert "glyphs" in data.DATASETS
    (x, y), (xv, yv) = data.load("glyphs", 8, seed=2, channels=3, pixel_range=(0.0, 1.0))
    (gx, gy), (gxv, gyv) = glyphs.glyphs(8, val_fraction=0.2, seed=2, channels=3)  # load's val_fraction
    assert x.shape == (20000, 8, 8, 3) and xv.shape == (4000, 8, 8, 3)
    np.testing.assert_allclose(x, (gx + 1) / 2, atol=1e-6)
    np.testing.assert_array_equal(y, gy)
    np.testing.assert_array_equal(yv, gyv)
    assert data.load("glyphs", 8)[1][0].shape == (4000, 8, 8, 1)  # grayscale unless channels are asked for
