"""Chapter 6: weather forecasting (2e ch10; experiments/ch06.py) and text: embeddings,
recurrent and 1D-convolutional models on IMDB (experiments/ch06_text.py)."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch06")
