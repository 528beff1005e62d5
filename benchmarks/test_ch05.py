"""Chapter 5 (2e ch8): MNIST, dogs vs cats, pretrained bases. Declared in experiments/ch05.py."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch05")
