"""The divergences' probes read their mechanism on the running stack."""

import pytest

from dlwp_suite.compat import KERAS_MAJOR, tensorflow_backend
from dlwp_suite.declarations import build_manifest
from dlwp_suite.probes import PROBES, epoch_order_repeats, rmsprop_small_gradient_step_ratio


def test_every_declared_probe_exists():
    for divergence in build_manifest().divergences.values():
        measure = divergence.probe_measure
        assert measure.startswith("metric:") or measure in PROBES, divergence.id


def test_the_sample_order_repeats_only_on_keras_3_with_tensorflow():
    """benchmarks/BISECT.md: one order every epoch on Keras 3 + TF, fresh ones elsewhere."""
    expected = 1.0 if KERAS_MAJOR >= 3 and tensorflow_backend() else 0.0
    assert epoch_order_repeats() == expected


@pytest.mark.skipif(KERAS_MAJOR < 3, reason="the Keras 3 step; tf.keras 2's is to be measured")
def test_keras_3_rmsprop_takes_a_tenth_of_the_books_step_on_a_tiny_gradient():
    # a = 0.1 g^2 = 1e-9: sqrt(a + 1e-7) is about 10 x sqrt(a) + 1e-7.
    assert rmsprop_small_gradient_step_ratio() == pytest.approx(0.0995, rel=0.05)
