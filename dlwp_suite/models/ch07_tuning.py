"""Chapter 7's tuning data (1st edition 7.3.2, 2nd edition 13.1.1): chapter 3's IMDB
and Boston housing inputs with a validation split for the search."""

from __future__ import annotations

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import boston_housing, imdb
from dlwp_suite.datasets.task_data import TaskData, first_as_validation
from dlwp_suite.experiment import Params
from dlwp_suite.models.ch03 import standardise


def load_imdb(config: DataConfig, params: Params) -> TaskData:
    """Chapter 3's multi-hot reviews; its 10,000 held-out reviews validate."""
    return first_as_validation(imdb.load(config), params["validation_size"])


def load_boston(config: DataConfig, params: Params) -> TaskData:
    """Boston housing, the book's first K-fold fold (the first quarter) validating,
    every split standardised with the remaining training samples' statistics."""
    return standardise(first_as_validation(boston_housing.load(config), params["validation_size"]))
