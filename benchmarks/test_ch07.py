"""Chapter 7 (2e ch7, ch9, ch13): the book's callbacks, a weighted ensemble and KerasTuner on
chapter 3's data, the mini Xception on dogs vs cats. Declared in experiments/ch07*.py."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch07")
