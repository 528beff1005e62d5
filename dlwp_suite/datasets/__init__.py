"""Loaders for the book's datasets, each returning a `TaskData`."""

from dlwp_suite.datasets import char_text, glove
from dlwp_suite.datasets.boston_housing import BOSTON_NPZ
from dlwp_suite.datasets.cifar10 import CIFAR10_TAR
from dlwp_suite.datasets.dogs_vs_cats import FILTERED_ZIP, KAGGLE_TRAIN_ZIP
from dlwp_suite.datasets.imdb import ACLIMDB_TAR, IMDB_NPZ, IMDB_WORD_INDEX
from dlwp_suite.datasets.mnist import MNIST_NPZ
from dlwp_suite.datasets.reuters import REUTERS_NPZ
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.datasets.weather import JENA_ZIP, SEATTLE_TEMPS

# Every canonical file the declared experiments can read, for `dlwp-suite data`.
CANONICAL_FILES = (
    IMDB_NPZ,
    IMDB_WORD_INDEX,
    ACLIMDB_TAR,
    REUTERS_NPZ,
    BOSTON_NPZ,
    MNIST_NPZ,
    CIFAR10_TAR,
    JENA_ZIP,
    SEATTLE_TEMPS,
)
# Files used where the mirror or the Keras cache has them, never downloaded: the book's
# and the stand-ins (each module says why).
LOCAL_ONLY_FILES = (char_text.NIETZSCHE, char_text.STAND_IN, glove.GLOVE_100D, glove.STAND_IN)
# Sources of the dogs-vs-cats layout when the mirror has no cats_and_dogs_small/ folder.
IMAGE_ARCHIVES = (KAGGLE_TRAIN_ZIP, FILTERED_ZIP)

__all__ = ["CANONICAL_FILES", "IMAGE_ARCHIVES", "LOCAL_ONLY_FILES", "TaskData"]
