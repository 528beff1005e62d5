"""Chapter 4 (2e ch5): overfitting and regularisation. Declared in experiments/ch04.py."""

import pytest

pytestmark = pytest.mark.dlwp_chapter("ch04")


def test_model(dlwp, dlwp_case, benchmark):
    dlwp.check_model(dlwp_case, benchmark)


def test_baselines_and_ensemble(dlwp, dlwp_experiment, benchmark):
    dlwp.check_comparisons(dlwp_experiment, benchmark)


def test_claim(dlwp, dlwp_claim):
    dlwp.check_claim(dlwp_claim)
