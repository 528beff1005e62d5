"""Chapter 5.4's viewed model: the 5.2 small convnet or the 5.3 fine-tuned model."""

from __future__ import annotations

import keras

from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.models.ch05 import build_scratch, build_transfer


def build_viewed(params: Params, data: TaskData) -> keras.Model:
    """The 5.2 small convnet, or the 5.3 model on a pretrained base."""
    return build_transfer(params, data) if params["base"] else build_scratch(params, data)
