"""Chapter 6's text models and adapters (1st edition 6.1-6.4): IMDB word ids as
``pad_sequences`` gives them, GloVe's vectors, and the embedding, recurrent and
1D-convolutional networks over them."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from scipy import sparse

from dlwp_suite.cache import cached_arrays
from dlwp_suite.datafiles import DataConfig
from dlwp_suite.datasets import glove, imdb
from dlwp_suite.datasets.sequences import IndexConvention
from dlwp_suite.datasets.task_data import TaskData
from dlwp_suite.experiment import Params
from dlwp_suite.protocols.curves import CROSSENTROPY

VALIDATION_SPLIT = 0.2  # Keras' validation_split: the last fifth of the training data


def load_split(config: DataConfig, params: Params) -> TaskData:
    """Padded word ids; the last fifth of the training reviews validates, as
    ``fit(validation_split=0.2)`` takes it (before any shuffling)."""
    data = imdb.load_padded(
        config,
        params["maxlen"],
        reverse=params["reverse"],
        convention=IndexConvention(num_words=params["num_words"]),
    )
    keep = len(data.x_train) - int(len(data.x_train) * VALIDATION_SPLIT)
    return dataclasses.replace(
        data,
        x_train=data.x_train[:keep],
        y_train=data.y_train[:keep],
        x_val=data.x_train[keep:],
        y_val=data.y_train[keep:],
        x_test=None,
        y_test=None,
        extras={**data.extras, "tokens_per_sample": params["maxlen"]},
        notes=[
            *data.notes,
            f"{params['maxlen']} words per review"
            + (", reversed before padding" if params["reverse"] else "")
            + "; the last 20 % of the training reviews validate (validation_split=0.2), "
            "as in the book (no test metric)",
        ],
    )


def load_glove_split(config: DataConfig, params: Params) -> TaskData:
    """1e 6.1.3: the raw reviews through a ``Tokenizer(num_words)`` fitted on the 25,000
    training reviews, padded to ``maxlen``; ``train_samples`` of them to train on and
    the next ``validation_samples`` to validate, drawn with ``sample_seed`` (the book's
    draw is an unseeded shuffle); and GloVe's vectors for the tokenizer's words."""
    from keras.utils import pad_sequences

    vectors, stand_in = glove.locate_vectors(config)
    archive = imdb.locate(imdb.ACLIMDB_TAR, config)
    num_words, maxlen = params["num_words"], params["maxlen"]
    n_train, n_val = params["train_samples"], params["validation_samples"]

    def build() -> dict[str, np.ndarray]:
        _, splits = imdb.raw_texts(config)
        texts, labels = splits["train"]
        index = imdb.tokenizer_word_index(texts)
        x = pad_sequences(imdb.tokenizer_sequences(texts, index, num_words), maxlen=maxlen)
        order = np.random.RandomState(params["sample_seed"]).permutation(len(x))
        matrix, found = glove.embedding_matrix(vectors, index, num_words)
        return {
            "x_train": x[order[:n_train]],
            "y_train": labels[order[:n_train]],
            "x_val": x[order[n_train : n_train + n_val]],
            "y_val": labels[order[n_train : n_train + n_val]],
            "embedding_matrix": matrix,
            "words_found": np.array(found),
        }

    parts = {
        "files": {f.path.name: [f.sha256, f.verification] for f in (archive, vectors)},
        "settings": {k: params[k] for k in ("num_words", "maxlen", "sample_seed")},
        "samples": [n_train, n_val],
        "version": imdb.ENCODING_VERSION,
    }
    arrays, from_cache = cached_arrays(config.derived / "vectorised", "imdb-glove", parts, build)
    matrix = arrays["embedding_matrix"]
    what = (
        f"STAND-IN {vectors.path.name}: real GloVe 6B vectors but {matrix.shape[1]}-d, not the "
        "book's 100-d"
        if stand_in
        else f"{vectors.path.name} (the book's)"
    )
    return TaskData(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=None,
        y_test=None,
        x_val=arrays["x_val"],
        y_val=arrays["y_val"],
        source=f"aclImdb_v1.tar.gz raw reviews, Keras Tokenizer rules; {what}",
        files=[archive, vectors],
        from_cache=from_cache,
        extras={"embedding_matrix": matrix, "tokens_per_sample": maxlen},
        notes=[
            f"GloVe: {what}; {int(arrays['words_found'])} of the tokenizer's first "
            f"{num_words - 1} ranks have a vector",
            f"{n_train} training and {n_val} validation reviews drawn with RandomState("
            f"{params['sample_seed']}) (the book's draw is unseeded); no test metric",
        ],
    )


def training_subset(params: Params, data: TaskData) -> TaskData:
    """The first ``train_samples`` training reviews, where a shortened profile asks for
    fewer (per case: the convnets of the quick profile keep them all)."""
    wanted = params.get("train_samples")
    if not wanted or wanted >= len(data.x_train):
        return data
    return dataclasses.replace(
        data,
        x_train=data.x_train[:wanted],
        y_train=data.y_train[:wanted],
        notes=[*data.notes, f"the network trains on the first {wanted:,} training reviews"],
    )


def bag_of_words(params: Params, data: TaskData) -> TaskData:
    """Word counts of the same padded rows the networks read (padding dropped), sparse:
    the shallow baselines see exactly the words the network sees."""

    def counts(x: np.ndarray | None) -> sparse.csr_matrix | None:
        if x is None:
            return None
        rows = np.repeat(np.arange(len(x)), x.shape[1])
        ids = x.ravel()
        kept = ids != 0
        ones = np.ones(int(kept.sum()), dtype=np.float32)
        return sparse.csr_matrix(
            (ones, (rows[kept], ids[kept])), shape=(len(x), params["num_words"])
        )

    return dataclasses.replace(
        data, x_train=counts(data.x_train), x_val=counts(data.x_val), x_test=counts(data.x_test)
    )


def _body(params: Params, x: keras.KerasTensor) -> keras.KerasTensor:
    """The layers between the embedding and the output, as each listing has them."""
    layers = keras.layers
    kind = params["body"]
    if kind == "flatten":  # 6.1 listing 6.7
        return layers.Flatten()(x)
    if kind == "flatten_dense":  # 6.1 listing 6.13 (GloVe's model)
        return layers.Dense(32, activation="relu")(layers.Flatten()(x))
    if kind == "simple_rnn":  # 6.2 listing 6.22
        return layers.SimpleRNN(32)(x)
    if kind == "lstm":  # 6.2 listing 6.27, 6.3 listing 6.42 (reversed)
        return layers.LSTM(32)(x)
    if kind == "bidirectional_lstm":  # 6.3 listing 6.43
        return layers.Bidirectional(layers.LSTM(32))(x)
    if kind == "conv1d":  # 6.4 listing 6.45
        x = layers.Conv1D(32, 7, activation="relu")(x)
        x = layers.MaxPooling1D(5)(x)
        x = layers.Conv1D(32, 7, activation="relu")(x)
        return layers.GlobalMaxPooling1D()(x)
    raise ValueError(f"unknown model body {kind!r}")


def rounded_accuracy(y_true: keras.KerasTensor, y_pred: keras.KerasTensor) -> keras.KerasTensor:
    """Keras 2.0.8's ``binary_accuracy``: ``mean(equal(y_true, round(y_pred)))``."""
    ops = keras.ops
    return ops.mean(ops.cast(ops.equal(y_true, ops.round(y_pred)), "float32"), axis=-1)


def build(params: Params, data: TaskData) -> keras.Model:
    """Embedding(num_words, dim) -> the listing's body -> Dense(1, output activation).

    The recurrent layers keep Keras' defaults, the configuration that runs on cuDNN
    kernels where a GPU backend has them.
    """
    inputs = keras.Input(shape=(params["maxlen"],), dtype="int32")
    if params["embedding"] == "glove":  # listings 6.14-6.15: GloVe's vectors, frozen
        matrix = data.extras["embedding_matrix"]
        embed = keras.layers.Embedding(
            *matrix.shape,
            embeddings_initializer=keras.initializers.Constant(matrix),
            trainable=False,
        )
    else:  # learned; None: as wide as the GloVe vectors it is compared with
        width = params["embedding_dim"] or data.extras["embedding_matrix"].shape[1]
        embed = keras.layers.Embedding(params["num_words"], width)
    x = embed(inputs)
    outputs = keras.layers.Dense(1, activation=params["output_activation"])(_body(params, x))
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=params["learning_rate"]),
        loss="binary_crossentropy",
        metrics=[
            keras.metrics.MeanMetricWrapper(rounded_accuracy, name="accuracy")
            if params["accuracy"] == "rounded"
            else "accuracy",
            keras.metrics.BinaryCrossentropy(name=CROSSENTROPY),
        ],
    )
    return model
