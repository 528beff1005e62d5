"""Loaders for the book's datasets, each returning a `TaskData`."""

from dlwp_suite.datasets.boston_housing import BOSTON_NPZ
from dlwp_suite.datasets.imdb import ACLIMDB_TAR, IMDB_NPZ, IMDB_WORD_INDEX
from dlwp_suite.datasets.reuters import REUTERS_NPZ
from dlwp_suite.datasets.task_data import TaskData

# Every canonical file the declared experiments can read, for `dlwp-suite data`.
CANONICAL_FILES = (IMDB_NPZ, IMDB_WORD_INDEX, ACLIMDB_TAR, REUTERS_NPZ, BOSTON_NPZ)

__all__ = ["CANONICAL_FILES", "TaskData"]
