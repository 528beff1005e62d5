"""Chapter 6: weather forecasting (2e ch10; experiments/ch06.py) and text: embeddings,
recurrent and 1D-convolutional models on IMDB (experiments/ch06_text.py)."""

import pytest

pytestmark = pytest.mark.dlwp_chapter("ch06")


def test_model(dlwp, dlwp_case, benchmark):
    dlwp.check_model(dlwp_case, benchmark)


def test_baselines_and_ensemble(dlwp, dlwp_experiment, benchmark):
    dlwp.check_comparisons(dlwp_experiment, benchmark)


def test_claim(dlwp, dlwp_claim):
    dlwp.check_claim(dlwp_claim)
