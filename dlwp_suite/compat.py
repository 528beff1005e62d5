"""The few places where Keras 2 (``tf.keras`` up to TF 2.15) and Keras 3 differ, and
where Keras 3's backends do (autodiff).

Everything else in the suite uses APIs all share, so it runs unchanged on each.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import keras
import numpy as np

KERAS_VERSION = tuple(int(part) for part in keras.__version__.split(".")[:2])
KERAS_MAJOR = KERAS_VERSION[0]


def tensorflow_backend() -> bool:
    """Whether Keras runs on TensorFlow (always so on Keras 2)."""
    return KERAS_MAJOR < 3 or keras.backend.backend() == "tensorflow"


#: Batches one fused ``model.fit`` call runs on TensorFlow unless the run's context says
#: otherwise (``RunContext.steps_per_execution``): enough that the per-step overhead of
#: small models fades (the 1e embedding model: 6,250 steps an epoch at batch 32, ~7 ms
#: each unfused).
FUSED_STEPS = 32


def fuse_steps(model: keras.Model, steps: int | None) -> int:
    """Let an untrained Keras 3 model on TensorFlow run ``steps`` batches per call (None:
    ``FUSED_STEPS``).

    TensorFlow runs them in one ``tf.while_loop``, the same updates in the same order
    (the loss curves are unchanged), without a Python round trip per batch. Only for
    inputs that end: on an endless stream with ``steps_per_epoch`` the last call of an
    epoch would run past it. Elsewhere nothing changes: JAX loops over the steps in
    Python (no gain), torch refuses more than one, and Keras 2 takes it only in
    ``compile``. Returns the steps per call in force.
    """
    if KERAS_MAJOR >= 3 and tensorflow_backend() and model.train_function is None:
        model.steps_per_execution = FUSED_STEPS if steps is None else steps
    return int(getattr(model, "steps_per_execution", 1) or 1)


#: Keras' random image layers that turn compilation off on every backend, for
#: TensorFlow's sake, and that JAX compiles: their transform is a gather
#: (``map_coordinates``), their seed a non-trainable state the compiled step carries.
JAX_JITTABLE_AUGMENTATION = frozenset({"RandomRotation", "RandomZoom"})


def jit_augmentation_on_jax(model: keras.Model) -> None:
    """On JAX, compile the steps of a model that Keras would run op by op only because
    it holds random rotation or zoom layers (the 2nd edition's in-model augmentation).

    Uncompiled, JAX traces and dispatches every operation of every step: the mini
    Xception's quick profile ran for over half an hour in its first epochs where
    TensorFlow takes 4 minutes. The arithmetic is the same, the augmentation still
    changes every step. Elsewhere, or once the model has trained, nothing changes.
    """
    if KERAS_MAJOR < 3 or keras.backend.backend() != "jax" or model.train_function is not None:
        return
    uncompilable = [layer for layer in model._flatten_layers() if not layer.supports_jit]
    if uncompilable and all(
        type(layer).__name__ in JAX_JITTABLE_AUGMENTATION for layer in uncompilable
    ):
        for layer in uncompilable:
            layer.supports_jit = True
        model.jit_compile = True
        # Keras 3 keeps step functions already built (an evaluate before the fit).
        model.test_function = model.predict_function = None


# Registered: Keras 3's clone_model rebuilds a compiled model's loss from its config
# (the 1st edition's GAN clones its compiled discriminator).
@keras.saving.register_keras_serializable(package="dlwp_suite")
def soft_binary_crossentropy(y_true, y_pred):
    """Keras' binary cross-entropy of probabilities as its JAX and TensorFlow backends
    compute it (clipped to [eps, 1 - eps], mean over the last axis), for any target."""
    ops, eps = keras.ops, keras.backend.epsilon()
    y_pred = ops.clip(y_pred, eps, 1.0 - eps)
    y_true = ops.cast(y_true, y_pred.dtype)
    bce = y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred)
    return -ops.mean(bce, axis=-1)


def binary_crossentropy_loss():
    """``"binary_crossentropy"``, except on torch: `soft_binary_crossentropy` there,
    because torch's kernel refuses targets outside [0, 1] and the 1st edition's GAN adds
    label noise up to 1.05 (1e 8.5's training loop)."""
    if KERAS_MAJOR < 3 or keras.backend.backend() != "torch":
        return "binary_crossentropy"
    return soft_binary_crossentropy


def cast(x, dtype: str):
    """``keras.ops.cast`` on Keras 3, ``tf.cast`` on Keras 2 (which has no ``keras.ops``)."""
    if KERAS_MAJOR >= 3:
        return keras.ops.cast(x, dtype)
    import tensorflow as tf

    return tf.cast(x, dtype)


def one_hot(x, depth: int):
    """``keras.ops.one_hot`` on Keras 3, ``tf.one_hot`` on Keras 2."""
    if KERAS_MAJOR >= 3:
        return keras.ops.one_hot(x, depth)
    import tensorflow as tf

    return tf.one_hot(x, depth)


def math_ops():
    """``keras.ops`` on Keras 3; on Keras 2, TensorFlow's functions under the names the
    suite calls."""
    if KERAS_MAJOR >= 3:
        return keras.ops
    import tensorflow as tf

    return SimpleNamespace(
        exp=tf.exp,
        square=tf.square,
        mean=tf.reduce_mean,
        sum=tf.reduce_sum,
        shape=tf.shape,
        reshape=tf.reshape,
        matmul=tf.matmul,
        transpose=tf.transpose,
        power=tf.pow,
    )


def seed_generator():
    """A Keras 3 ``SeedGenerator`` (seeded from Keras' global seed); None on Keras 2,
    whose random ops follow TensorFlow's global seed."""
    return keras.random.SeedGenerator() if KERAS_MAJOR >= 3 else None


def random_normal(shape, seed):
    """Standard normal draws: ``keras.random.normal`` on Keras 3, TensorFlow's on Keras 2."""
    if KERAS_MAJOR >= 3:
        return keras.random.normal(shape, seed=seed)
    import tensorflow as tf

    return tf.random.normal(shape)


def save_legacy_h5_weights(model: keras.Model, path) -> None:
    """Write weights in the legacy h5 layout ``keras.applications`` files use.

    Keras 3's ``save_weights`` only writes its own ``.weights.h5`` layout.
    """
    if KERAS_MAJOR >= 3:
        import h5py
        from keras.src.legacy.saving import legacy_h5_format

        with h5py.File(path, "w") as handle:
            legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    else:
        model.save_weights(str(path), save_format="h5")


def to_numpy(x) -> np.ndarray:
    """A backend tensor (or array) as a numpy array."""
    if KERAS_MAJOR >= 3:
        return np.asarray(keras.ops.convert_to_numpy(x))
    return np.asarray(x)


def constant(x: np.ndarray):
    """A numpy array as a backend tensor on the backend's device, to combine with the
    tensors a differentiated function sees (torch will not mix a CUDA tensor with numpy)."""
    if KERAS_MAJOR >= 3:
        return keras.ops.convert_to_tensor(x)
    import tensorflow as tf

    return tf.constant(x)


def value_and_gradient(fn: Callable, x: np.ndarray) -> tuple[float, np.ndarray]:
    """``fn(x)`` (a scalar) and its gradient with respect to ``x``, by the backend's own
    autodiff: a ``GradientTape`` on TensorFlow (and Keras 2), ``jax.value_and_grad`` on
    JAX, ``backward`` on torch. ``fn`` takes and returns backend tensors."""
    backend = "tensorflow" if KERAS_MAJOR < 3 else keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            value = fn(tensor)
        return float(value), np.asarray(tape.gradient(value, tensor))
    if backend == "jax":
        import jax

        value, grad = jax.value_and_grad(fn)(jax.numpy.asarray(x))
        return float(value), np.asarray(grad)
    if backend == "torch":
        tensor = keras.ops.convert_to_tensor(x)  # on the backend's device
        tensor.requires_grad_(True)
        value = fn(tensor)
        value.backward()
        return float(value.detach()), to_numpy(tensor.grad)
    raise NotImplementedError(f"no gradient for the {backend} backend")
