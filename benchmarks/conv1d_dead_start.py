"""Evidence for the dead start of 1e 6.4's sigmoid-less convnet (no training needed).

For seeds 0-9 it builds the notebook's model as the suite declares it and predicts 1,000
validation reviews: where every output is outside (1e-7, 1 - 1e-7), Keras' clipped
binary cross-entropy has zero gradient and the model can never train.

    DLWP_DATA_DIR=../shared/data python benchmarks/conv1d_dead_start.py [maxlen]
"""

import sys

import keras
import numpy as np

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import imdb
from dlwp_suite.experiments import get


def main(maxlen: int = 500) -> None:
    experiment = get("ch06.imdb.sequences")
    params = {**experiment.case("conv1d", "book").params, "maxlen": maxlen}
    data = imdb.load_padded(DataConfig.from_settings(), maxlen)
    reviews = data.x_train[20_000:21_000]  # validation reviews, as validation_split takes them
    for seed in range(10):
        keras.utils.set_random_seed(seed)
        model = experiment.build_model(params, data)
        out = model.predict(reviews, batch_size=500, verbose=0).ravel()
        inside = np.mean((out > 1e-7) & (out < 1 - 1e-7))
        verdict = "dead: no gradient" if inside == 0 else "can train"
        print(
            f"seed {seed}: outputs {out.min():.2f}..{out.max():.2f}, {inside:.0%} inside: {verdict}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
