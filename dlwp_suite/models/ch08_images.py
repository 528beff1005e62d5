"""Chapter 8's images optimised through a pretrained convnet (1st edition 8.2-8.3): the
photos and weights they start from, and the network with the outputs each loss reads."""

from __future__ import annotations

import dataclasses

import keras

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets.dogs_vs_cats import load_photos
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.pretrained import BASES, locate_weights

PHOTOS_NOTE = (
    "STAND-IN pictures: dogs-vs-cats test photos in the place of the book's own "
    "photograph (and, for style transfer, of Van Gogh's Starry Night)"
)
NETWORK_NOTE = (
    "STAND-IN network: MobileNet (alpha 0.25) ImageNet weights in the place of {book}, "
    "with layers at the book's depths; held to the book's claims, not its numbers"
)


def load_photos_and_weights(config: DataConfig, params: Params) -> TaskData:
    """The test photos and the network's verified weights, the stand-ins labelled."""
    data = load_photos(config, params["photos"], params["image_size"])
    notes = [*data.notes, PHOTOS_NOTE]
    if params["stands_in_for"]:
        notes.append(NETWORK_NOTE.format(book=params["stands_in_for"]))
    weights = locate_weights(BASES[params["base"]], config)
    return dataclasses.replace(
        data, assets={"weights": weights}, files=[*data.files, weights], notes=notes
    )


def layer_extractor(params: Params, data: TaskData) -> keras.Model:
    """The network on images of any size, with the outputs the loss reads: the dream
    layers, or the content layer then the style layers."""
    if params["protocol_layers"] == "dream":
        names = list(params["layers"])
    else:
        names = [params["content_layer"], *params["style_layers"]]
    return BASES[params["base"]].layer_outputs(data.assets["weights"].path, names)
