"""Chapter 3 (2e ch4): IMDB, Reuters, Boston. Declared in dlwp_suite/experiments/ch03.py."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch03")
