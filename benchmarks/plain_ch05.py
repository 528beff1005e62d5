"""The book's own plain Keras code for chapter 5 (1e listings 5.1 and 5.5-5.14).

The references the suite's speed is measured against, hyperparameters from the suite's
declarations: the MNIST convnet on float images and one-hot labels, and the small
dogs-vs-cats convnet trained on ``ImageDataGenerator(...).flow_from_directory``, which
decodes and augments every image from its JPEG file in every epoch.
"""

from pathlib import Path

import keras
import numpy as np


def mnist_convnet(params, train, test, seed: int) -> dict[str, float]:
    """Listing 5.1 and 5.3: train on every training digit, test."""
    (train_images, train_labels), (test_images, test_labels) = train, test
    train_images = train_images.reshape((len(train_images), 28, 28, 1)).astype("float32") / 255
    test_images = test_images.reshape((len(test_images), 28, 28, 1)).astype("float32") / 255
    train_labels = keras.utils.to_categorical(train_labels, 10)
    test_labels = keras.utils.to_categorical(test_labels, 10)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(params["hidden"], activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        train_images,
        train_labels,
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        verbose=0,
    )
    return {"test_accuracy": float(model.evaluate(test_images, test_labels, verbose=0)[1])}


def _image_data_generator():
    """``ImageDataGenerator``: public in Keras 2, only in Keras 3's legacy tree."""
    try:
        from keras.preprocessing.image import ImageDataGenerator
    except ImportError:
        from keras.src.legacy.preprocessing.image import ImageDataGenerator
    return ImageDataGenerator


def dogs_augmented(params, folder: Path, seed: int) -> dict[str, float]:
    """Listings 5.5, 5.13 and 5.14: the convnet with dropout on augmented images read
    from the folders; returns the best validation accuracy over the epochs."""
    generator = _image_data_generator()
    augment = params["augmentation"]
    # The book's Keras (2.0.8) read shear_range in radians and sampled the transformed
    # image nearest-neighbour; today's generator reads degrees and samples linearly
    # unless told: the same transform is asked for in today's terms. Images are
    # decoded bilinearly, as the suite's cache does (flow_from_directory's default is
    # nearest).
    train_datagen = generator(
        rescale=1.0 / 255,
        rotation_range=augment["rotation_degrees"],
        width_shift_range=augment["shift"],
        height_shift_range=augment["shift"],
        shear_range=float(np.degrees(augment["shear"])),
        zoom_range=augment["zoom"],
        horizontal_flip=augment["horizontal_flip"],
        interpolation_order=0,
    )
    size = (params["image_size"], params["image_size"])
    train_generator = train_datagen.flow_from_directory(
        folder / "train",
        target_size=size,
        batch_size=params["batch_size"],
        class_mode="binary",
        seed=seed,
        interpolation="bilinear",
    )
    validation_generator = generator(rescale=1.0 / 255).flow_from_directory(
        folder / "validation",
        target_size=size,
        batch_size=params["batch_size"],
        class_mode="binary",
        interpolation="bilinear",
    )
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(*size, 3))]
    for filters in (32, 64, 128, 128):
        layers += [
            keras.layers.Conv2D(filters, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
        ]
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dropout(params["dropout"]),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    model = keras.Sequential(layers)
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.RMSprop(learning_rate=params["learning_rate"]),
        metrics=["accuracy"],
    )
    # Keras 2's fit_generator drew steps_per_epoch batches from the iterator's endless
    # __next__ (a new permutation per pass over the 2,000 images). Keras 3 reads the
    # iterator as a PyDataset of 63 batches and cuts an epoch short where
    # steps_per_epoch runs past a pass ("Your input ran out of data; interrupting
    # training"): epochs of 63 batches instead of listing 5.14's 100, or 50 and 13 in
    # turn at the quick profile's 50. Read as a stream, it trains the listing's steps
    # (one pass an epoch where the profile sets none: an endless stream needs a count).
    train_stream = (batch for batch in train_generator)
    history = model.fit(
        train_stream,
        steps_per_epoch=params["steps_per_epoch"] or len(train_generator),
        epochs=params["epochs"],
        validation_data=validation_generator,
        # Each validation image once, as the suite validates (listing 5.14's 50 steps of
        # 32 draw 1,600 from the 1,000)
        validation_steps=len(validation_generator),
        verbose=0,
    )
    return {"best_val_accuracy": float(np.max(history.history["val_accuracy"]))}
