"""Chapter 4 (2e ch5): overfitting and regularisation. Declared in experiments/ch04.py."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch04")
