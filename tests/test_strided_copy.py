"""The bytes a strided block copy touches (lowering/strided.py `copy_span`, the formula copy_strided.c's
checked build asserts) are exactly the lowest to the highest byte of its elements."""
import itertools
import random

from micro_runtime.lowering.strided import COPY_DIMS, copy_span


def test_copy_span_is_the_range_of_the_bytes_the_copy_visits():
    rng = random.Random(0)
    for _ in range(500):
        elem = rng.choice([1, 2, 4])
        shape = [rng.randint(1, 3) if rng.random() < 0.9 else 0 for _ in range(COPY_DIMS)]
        strides = [rng.randint(-9, 9) * elem for _ in range(COPY_DIMS)]
        offset = rng.randint(0, 200)
        starts = [offset + sum(i * s for i, s in zip(index, strides))
                  for index in itertools.product(*(range(n) for n in shape))]
        expected = (min(starts), max(starts) + elem) if starts else (0, 0)
        assert copy_span(shape, strides, offset, elem) == expected
