"""Chapter 8 (2e ch12), generative deep learning: character-level text generation,
the Transformer language model, variational autoencoders, DeepDream, neural style
transfer and the GAN. Declared in experiments/ch08*.py."""

import pytest
from chapter_tests import test_baselines_and_ensemble, test_claim, test_model  # noqa: F401

pytestmark = pytest.mark.dlwp_chapter("ch08")
