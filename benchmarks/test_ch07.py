"""Chapter 7 (2e ch9): the mini Xception on dogs vs cats. Declared in experiments/ch07.py."""

import pytest

pytestmark = pytest.mark.dlwp_chapter("ch07")


def test_model(dlwp, dlwp_case, benchmark):
    dlwp.check_model(dlwp_case, benchmark)


def test_baselines_and_ensemble(dlwp, dlwp_experiment, benchmark):
    dlwp.check_comparisons(dlwp_experiment, benchmark)


def test_claim(dlwp, dlwp_claim):
    dlwp.check_claim(dlwp_claim)
