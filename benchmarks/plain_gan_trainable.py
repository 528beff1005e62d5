"""Evidence for chapter 8's GAN (1e 8.5), to come: the book's freezing pattern on Keras 3.

The 1st edition compiles the discriminator, sets ``discriminator.trainable = False``,
builds and compiles the GAN, then alternates ``discriminator.train_on_batch`` and
``gan.train_on_batch``. A tiny stand-in of that code, run on 2026-11-28:

- tf.keras 2.15 (Keras 2): the discriminator's step moves its weights; the GAN's step
  moves the generator's only. The book's intent.
- Keras 3.15.1 on TensorFlow and on JAX: the discriminator's step moves **nothing**. Its
  optimizer is built at the first step from the trainable variables then, which are
  none, so the book's code as written never trains its discriminator. Setting
  ``trainable = True`` again before its step does not help: TensorFlow keeps the cached
  train function (still no update), JAX raises ("the optimizer was built with 0
  variables").

Run: ``python benchmarks/plain_gan_trainable.py`` (any backend, seconds).
"""

import keras
import numpy as np


def moved(before: list[np.ndarray], model: keras.Model) -> bool:
    """Whether any of ``model``'s weights differ from ``before``."""
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


keras.utils.set_random_seed(0)
d_in = keras.Input((4,))
disc = keras.Model(d_in, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dense(8)(d_in)))
disc.compile(keras.optimizers.RMSprop(8e-4), "binary_crossentropy")
g_in = keras.Input((2,))
gen = keras.Model(g_in, keras.layers.Dense(4)(g_in))
disc.trainable = False  # the book's order: after compiling D, before compiling the GAN
gan_in = keras.Input((2,))
gan = keras.Model(gan_in, disc(gen(gan_in)))
gan.compile(keras.optimizers.RMSprop(4e-4), "binary_crossentropy")
x, y = np.random.rand(20, 4).astype("float32"), np.ones((20, 1), "float32")
z, misleading = np.random.rand(20, 2).astype("float32"), np.zeros((20, 1), "float32")

before = disc.get_weights()
disc.train_on_batch(x, y)
print("D.train_on_batch moves D:", moved(before, disc))
before_d, before_g = disc.get_weights(), gen.get_weights()
gan.train_on_batch(z, misleading)
print("GAN step moves D:", moved(before_d, disc), "| moves G:", moved(before_g, gen))

disc.trainable = True  # toggled before D's step, as some Keras 2 GAN code does
before = disc.get_weights()
disc.train_on_batch(x, y)  # JAX raises here
print("toggled: D.train_on_batch moves D:", moved(before, disc))
