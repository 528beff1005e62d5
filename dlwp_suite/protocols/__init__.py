"""The protocol registry: each ``Experiment.protocol`` name maps to one plug-in.

A new kind of experiment is one new module here with a :class:`Protocol` subclass,
added to ``PROTOCOLS``, plus its declarations under ``dlwp_suite/experiments``.
"""

from __future__ import annotations

from dlwp_suite.protocols.base import Protocol, RunResult
from dlwp_suite.protocols.callbacks import CallbackBehaviour
from dlwp_suite.protocols.char_generation import CharGeneration
from dlwp_suite.protocols.convnet_views import ConvnetViews
from dlwp_suite.protocols.curves import Curves
from dlwp_suite.protocols.deep_dream import DeepDream
from dlwp_suite.protocols.fit_evaluate import FitEvaluate
from dlwp_suite.protocols.forecast import Forecast
from dlwp_suite.protocols.gan import AdversarialTraining
from dlwp_suite.protocols.holdout import Holdout
from dlwp_suite.protocols.kfold import KFold
from dlwp_suite.protocols.language_model import LanguageModel
from dlwp_suite.protocols.style_transfer import StyleTransfer
from dlwp_suite.protocols.tuning import ClassifierTuning, RegressorTuning
from dlwp_suite.protocols.vae import VariationalAutoencoder
from dlwp_suite.protocols.weighted_ensemble import WeightedEnsemble

PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Holdout(),
        KFold(),
        FitEvaluate(),
        Forecast(),
        Curves(),
        CallbackBehaviour(),
        WeightedEnsemble(),
        ClassifierTuning(),
        RegressorTuning(),
        CharGeneration(),
        VariationalAutoencoder(),
        ConvnetViews(),
        DeepDream(),
        StyleTransfer(),
        AdversarialTraining(),
        LanguageModel(),
    )
}

__all__ = ["PROTOCOLS", "Protocol", "RunResult", "get"]


def get(name: str) -> Protocol:
    """The protocol registered as ``name``."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise KeyError(f"no protocol {name!r}; registered: {sorted(PROTOCOLS)}") from None
