"""The divergences' probes read their mechanism on the running stack."""

from dlwp_suite.compat import KERAS_MAJOR, tensorflow_backend
from dlwp_suite.declarations import build_manifest
from dlwp_suite.probes import PROBES, epoch_order_repeats


def test_every_declared_probe_exists():
    for divergence in build_manifest().divergences.values():
        measure = divergence.probe_measure
        assert measure.startswith("metric:") or measure in PROBES, divergence.id


def test_the_sample_order_repeats_only_on_keras_3_with_tensorflow():
    """benchmarks/BISECT.md: one order every epoch on Keras 3 + TF, fresh ones elsewhere."""
    expected = 1.0 if KERAS_MAJOR >= 3 and tensorflow_backend() else 0.0
    assert epoch_order_repeats() == expected
