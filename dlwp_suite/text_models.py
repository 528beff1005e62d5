"""The 2nd edition's text-model layers (chapter 11), written with layers and tensor
arithmetic both Keras 2 and 3 share, so they run on every backend.

- :class:`OneHot`: word ids to one-hot vectors inside the model (11.3.3's first model);
- :class:`PositionalEmbedding`: a word embedding plus a learned embedding of each
  position (11.4.3), and the padding mask (id 0);
- :class:`TransformerEncoder`: self-attention and a dense projection, each with a
  residual connection and layer normalisation (11.4.3's encoder);
- :class:`TransformerDecoder`: causal self-attention, attention over the encoder's
  outputs, a dense projection, each with a residual connection and layer
  normalisation (11.5's decoder, which 12.1.4's language model runs on its own inputs).
"""

from __future__ import annotations

import keras

from dlwp_suite.compat import cast, one_hot

_SERIALIZABLE = keras.saving.register_keras_serializable(package="dlwp_suite")


@_SERIALIZABLE
class OneHot(keras.layers.Layer):
    """Integer ids to float one-hot vectors of ``depth``."""

    def __init__(self, depth: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, inputs):
        return one_hot(cast(inputs, "int32"), self.depth)

    def get_config(self) -> dict:
        return {**super().get_config(), "depth": self.depth}


@_SERIALIZABLE
class PositionalEmbedding(keras.layers.Layer):
    """``Embedding(input_dim, output_dim)`` of the ids plus one learned vector per
    position (the book looks them up with ``Embedding(sequence_length, output_dim)``
    of ``range(length)``; a weight of the same shape and initialiser, added, is the
    same computation). Masks id 0, as the book's ``compute_mask`` does."""

    def __init__(self, sequence_length: int, input_dim: int, output_dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sequence_length, self.input_dim, self.output_dim = (
            sequence_length,
            input_dim,
            output_dim,
        )
        self.tokens = keras.layers.Embedding(input_dim, output_dim)

    def build(self, input_shape) -> None:
        self.tokens.build(input_shape)
        self.positions = self.add_weight(
            name="positions",
            shape=(self.sequence_length, self.output_dim),
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),  # Embedding's
        )
        super().build(input_shape)

    def call(self, inputs):
        # Sequences may be shorter than ``sequence_length`` (a language model's inputs
        # drop the last word): the first positions' vectors, as ``range(length)`` looks up.
        return self.tokens(inputs) + self.positions[: inputs.shape[-1]]

    def compute_mask(self, inputs, mask=None):
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
        }


class _TransformerBlock(keras.layers.Layer):
    """What the encoder and decoder share: their sizes (and config) and the
    ``Dense(dense_dim, relu) -> Dense(embed_dim)`` projection."""

    def __init__(self, embed_dim: int, dense_dim: int, num_heads: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.embed_dim, self.dense_dim, self.num_heads = embed_dim, dense_dim, num_heads

    def _projection(self) -> keras.Sequential:
        # Built by each subclass after its attention layers: an unseeded initialiser
        # draws its seed when constructed, so this order keeps a seed's weights.
        return keras.Sequential(
            [
                keras.layers.Dense(self.dense_dim, activation="relu"),
                keras.layers.Dense(self.embed_dim),
            ]
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "embed_dim": self.embed_dim,
            "dense_dim": self.dense_dim,
            "num_heads": self.num_heads,
        }


@_SERIALIZABLE
class TransformerEncoder(_TransformerBlock):
    """``LayerNorm(x + Attention(x, x))``, then ``LayerNorm(y + Dense(Dense(y)))``, with
    ``num_heads`` heads of ``key_dim = embed_dim`` and a ``dense_dim`` relu projection.

    It reads the padding mask (queries attend to real words only) and passes none on:
    the pooling after it sees every position, as in the book.
    """

    def __init__(self, embed_dim: int, dense_dim: int, num_heads: int, **kwargs) -> None:
        super().__init__(embed_dim, dense_dim, num_heads, **kwargs)
        self.attention = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.projection = self._projection()
        self.norm_attention = keras.layers.LayerNormalization()
        self.norm_projection = keras.layers.LayerNormalization()

    def call(self, inputs, mask=None):
        attention_mask = None if mask is None else mask[:, None, :]
        attended = self.attention(inputs, inputs, attention_mask=attention_mask)
        projected_input = self.norm_attention(inputs + attended)
        return self.norm_projection(projected_input + self.projection(projected_input))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return input_shape


@_SERIALIZABLE
class TransformerDecoder(_TransformerBlock):
    """2e listing 11.33: ``LayerNorm(x + CausalAttention(x, x))``, then
    ``LayerNorm(y + Attention(y, encoder outputs))``, then ``LayerNorm(z + Dense(Dense(z)))``,
    ``num_heads`` heads of ``key_dim = embed_dim``.

    The book's second attention masks padded keys and later positions; padding is at the
    end of every sequence, so a real position's earlier keys are all real and the causal
    mask alone gives it the same attention (MultiHeadAttention's ``use_causal_mask``, on
    every backend). The padding mask is passed on, so the loss skips padded positions.
    """

    def __init__(self, embed_dim: int, dense_dim: int, num_heads: int, **kwargs) -> None:
        super().__init__(embed_dim, dense_dim, num_heads, **kwargs)
        self.self_attention = keras.layers.MultiHeadAttention(num_heads, key_dim=embed_dim)
        self.cross_attention = keras.layers.MultiHeadAttention(num_heads, key_dim=embed_dim)
        self.projection = self._projection()
        self.norm_self = keras.layers.LayerNormalization()
        self.norm_cross = keras.layers.LayerNormalization()
        self.norm_projection = keras.layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None):
        attended = self.self_attention(inputs, inputs, use_causal_mask=True)
        attended = self.norm_self(inputs + attended)
        crossed = self.cross_attention(attended, encoder_outputs, use_causal_mask=True)
        crossed = self.norm_cross(attended + crossed)
        return self.norm_projection(crossed + self.projection(crossed))

    def compute_output_shape(self, inputs_shape, encoder_outputs_shape):
        return inputs_shape
