"""The text classifiers the book's IMDB chapters are measured against.

- TF-IDF + logistic regression: the usual strong linear baseline on word counts;
- NB-LR: Wang and Manning's (2012) NB-SVM features (binarised counts scaled by the
  naive-Bayes log-count ratio) under a logistic rather than a hinge loss, so that it
  gives the probabilities the ensemble averages.

Both fit word-count matrices (``baseline_inputs`` of a text experiment).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline


def tfidf_logistic_regression() -> Pipeline:
    """TF-IDF weighting (sklearn's defaults: smoothed idf, l2 rows), then logistic regression."""
    return make_pipeline(TfidfTransformer(), LogisticRegression(max_iter=1000))


class NBLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary NB-SVM features (Wang and Manning 2012) with a logistic loss.

    ``r = log((p / |p|_1) / (q / |q|_1))`` with ``p = alpha + sum of the positive rows``
    and ``q`` likewise for the negative ones, on binarised counts; the classifier fits
    ``x_binarised * r``.
    """

    def __init__(self, alpha: float = 1.0, C: float = 1.0) -> None:
        self.alpha = alpha
        self.C = C

    def _features(self, x) -> sparse.csr_matrix:
        binary = sparse.csr_matrix(x, dtype=np.float64, copy=True)
        binary.data[:] = 1.0
        return binary.multiply(self.ratio_).tocsr()

    def fit(self, x, y) -> NBLogisticRegression:
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError("NB-LR is a binary classifier")
        binary = sparse.csr_matrix(x, dtype=np.float64, copy=True)
        binary.data[:] = 1.0
        p = self.alpha + np.asarray(binary[y == self.classes_[1]].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(binary[y == self.classes_[0]].sum(axis=0)).ravel()
        self.ratio_ = np.log((p / p.sum()) / (q / q.sum()))
        self.model_ = LogisticRegression(C=self.C, max_iter=1000).fit(self._features(x), y)
        return self

    def predict_proba(self, x) -> np.ndarray:
        return self.model_.predict_proba(self._features(x))

    def predict(self, x) -> np.ndarray:
        return self.model_.predict(self._features(x))
