"""Chapter 8 (2nd edition: chapter 12): DeepDream and neural style transfer, input
images optimised through a pretrained convnet.

1st edition, official notebooks ``8.2-deep-dream`` and ``8.3-neural-style-transfer``
(cN = notebook cell). DeepDream (c5-c15): InceptionV3 without its top, the loss on
mixed2-mixed5 with coefficients 0.2 / 3 / 2 / 1.5, 3 octaves 1.4 apart, 20 steps of 0.01
each, max loss 10; its log climbs from 0.67 to 9.94 in the first octave (c15). Style
transfer (c2-c26): VGG19, content block5_conv2 (weight 0.025), style block1-5_conv1
(1.0), total variation 1e-4, 400 px high, 20 L-BFGS calls of 20 evaluations; its loss
falls at every iteration, 7.41e9 to 5.00e8 (c26).

The mirror has neither network's weights, nor the book's photo or Van Gogh's painting.
Each method is one experiment per network: the book's, run when its ImageNet weights are
in the mirror or the Keras cache (else skipped with the reason), and MobileNet
(alpha 0.25, the weights the mirror has) as a labelled stand-in with layers at the same
depths. Both start from the mirror's dogs-vs-cats test photos, a photo in the place of
the painting too: stand-in pictures, held to the book's claims, not its numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType as Frozen

from dlwp_suite import synthetic
from dlwp_suite.experiment import Experiment, ProfileSpec
from dlwp_suite.models.ch08_images import layer_extractor, load_photos_and_weights
from dlwp_suite.targets import Target

DREAM_SRC = "1e 8.2-deep-dream"
STYLE_SRC = "1e 8.3-neural-style-transfer"
SMOKE_NOTE = "generated photos and random MobileNet weights: the loops' invariants only"


def rises_every_step(metric: str, source: str) -> Target:
    """Every step of an optimisation moves its loss the intended way, on every seed."""
    return Target(
        metric,
        value=1.0,
        comparison="at_least",
        over="worst",
        source=source,
        basis="the book's logs, each line past the one before; every step, every seed",
    )


DREAM_RISES = rises_every_step(
    "dream_rising_step_share", f"{DREAM_SRC} c15: the loss climbs at each step of an octave"
)
ASCENT_BEATS_RANDOM = Target(
    "dream_octave_gain",
    baseline="random_steps",
    source=f"{DREAM_SRC} c15 (0.67 to 9.94 in the first octave: x 14.8)",
    basis="the book's claim, the loss rises, against steps of the same size in random "
    "directions (which leave it near x 1); no margin: the book's x 14.8 belongs to "
    "InceptionV3's loss scale",
)
STYLE_FALLS = rises_every_step(
    "style_falling_iteration_share",
    f"{STYLE_SRC} c26: 'Current loss value' falls at each of the 20 iterations",
)
STYLE_CONVERGES = Target(
    "style_final_to_first",
    value=0.1,
    comparison="at_most",
    source=f"{STYLE_SRC} c26: 7.41e9 after the first iteration, 5.00e8 after the 20th (0.067)",
    basis="the issue's reading of the book's log: below a tenth of the first iteration's",
)

DREAM_BOOK = {
    "step": 0.01,
    "octaves": 3,
    "octave_scale": 1.4,
    "iterations": 20,
    "max_loss": 10.0,
    "photos": 8,
    "image_size": 299,  # the book dreams on its photo's own size
}
# 1e 8.2 c15's log: InceptionV3's first octave climbs from 0.671784 to 9.94124 in its 20
# steps, the next two stop at max_loss 10 after 10 and 7. The cap is on InceptionV3's
# scale: MobileNet's loss starts near 10 on the same photos (run
# 20261206T1414Z-book-tf221-cpu-book: 9.55-10.16), so under it the stand-in took one step
# or none. A stand-in keeps the book's headroom instead: it stops past 14.9 times its
# first loss.
BOOK_FIRST_DREAM_LOSS = 0.671784
STAND_IN_DREAM_CAP = {"max_loss": None, "max_loss_over_first": 10.0 / BOOK_FIRST_DREAM_LOSS}
STYLE_BOOK = {
    "content_weight": 0.025,
    "style_weight": 1.0,
    "variation_weight": 1e-4,
    "iterations": 20,
    "maxfun": 20,
    "photos": 8,
    "image_size": 400,  # the book's height
}


def _experiment(
    kind: str,
    network: str,
    protocol: str,
    title: str,
    source: str,
    params: dict,
    targets: tuple[Target, ...],
    baselines: tuple[str, ...],
    stands_in_for: str | None,
    quick: Mapping[str, object],
    smoke: Mapping[str, object],
) -> Experiment:
    """One input-optimisation experiment (``kind``: dream or style) on one network."""
    stand_in = stands_in_for is not None
    return Experiment(
        id=f"ch08.{kind}.{network}",
        title=title + (" (stand-in network)" if stand_in else ""),
        source=source,
        task="regression",  # no labels: nothing is classified
        protocol=protocol,
        load_data=load_photos_and_weights,
        write_synthetic=synthetic.write_dogs_vs_cats_with_mobilenet,
        build_model=layer_extractor,
        params=Frozen({**params, "stands_in_for": stands_in_for, "protocol_layers": kind}),
        variants=Frozen({"book": {}}),
        profiles=Frozen(
            {
                "smoke": ProfileSpec(
                    variants=("book",) if stand_in else (),
                    targets={"book": targets[:1]},
                    overrides=Frozen(smoke),
                    synthetic_data=True,
                    note=SMOKE_NOTE,
                ),
                "quick": ProfileSpec(
                    variants=("book",),
                    targets={"book": targets},
                    overrides=Frozen(quick),
                    note=", ".join(f"{k} {v} (book {params[k]})" for k, v in quick.items()),
                ),
                "book": ProfileSpec(variants=("book",), targets={"book": targets}),
            }
        ),
        baselines=baselines,
    )


# The dream layers and their loss coefficients.
INCEPTION_V3_DREAM_LAYERS = {"mixed2": 0.2, "mixed3": 3.0, "mixed4": 2.0, "mixed5": 1.5}
# MobileNet at the same strides: mixed2 ends InceptionV3's stride-8 part, mixed3-5 open its
# stride-16 one.
MOBILENET_DREAM_LAYERS = {
    "conv_pw_5_relu": 0.2,
    "conv_pw_7_relu": 3.0,
    "conv_pw_9_relu": 2.0,
    "conv_pw_11_relu": 1.5,
}
# The content layer, then the style layers.
VGG19_STYLE_LAYERS = (
    "block5_conv2",
    ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"),
)
# The first layer at each of VGG19's block strides (1-16; MobileNet starts at 2), and the
# content layer late at stride 16, as block5_conv2.
MOBILENET_STYLE_LAYERS = (
    "conv_pw_11_relu",
    ("conv1_relu", "conv_pw_2_relu", "conv_pw_4_relu", "conv_pw_6_relu", "conv_pw_12_relu"),
)
# The quick profile dreams as the book does: at 224 px it saved nothing (5.1 s a seed on
# this CPU against 5.6 at 299) and changed what the rising-loss target tests, the book's
# 0.01 step overshooting where the smaller image's ascent flattens (one step of 60 fell on
# 1-2 seeds of 3 on TF, JAX and torch; benchmarks/dream_overshoot.py).
DREAM_QUICK = Frozen({})
DREAM_SMOKE = {"image_size": 64, "iterations": 4, "octaves": 2, "photos": 2}
STYLE_QUICK = {"image_size": 224}
STYLE_SMOKE = {"image_size": 48, "iterations": 3, "maxfun": 5, "photos": 2}


def dream_experiment(
    network: str, layers: Mapping[str, float], stands_in_for: str | None
) -> Experiment:
    """DeepDream on one network's ``layers`` (name: loss coefficient)."""
    return _experiment(
        "dream",
        network,
        protocol="deep_dream",
        title="DeepDream: gradient ascent on layer activations, octave by octave",
        source=f"{DREAM_SRC} c5-c15; 2e 12.2",
        params={
            **DREAM_BOOK,
            **(STAND_IN_DREAM_CAP if stands_in_for else {}),
            "base": network,
            "layers": Frozen(layers),
        },
        targets=(DREAM_RISES, ASCENT_BEATS_RANDOM),
        baselines=("random_steps",),
        stands_in_for=stands_in_for,
        quick=DREAM_QUICK,
        smoke=DREAM_SMOKE,
    )


def style_experiment(
    network: str, layers: tuple[str, tuple[str, ...]], stands_in_for: str | None
) -> Experiment:
    """Neural style transfer with one network's ``layers`` (content, then style)."""
    content, styles = layers
    return _experiment(
        "style",
        network,
        protocol="style_transfer",
        title="Neural style transfer: the book's loss minimised by L-BFGS",
        source=f"{STYLE_SRC} c2-c26; 2e 12.3",
        params={**STYLE_BOOK, "base": network, "content_layer": content, "style_layers": styles},
        # "Below a tenth" is VGG19's own scale: a stand-in is held to the claim only.
        targets=(STYLE_FALLS,) if stands_in_for else (STYLE_FALLS, STYLE_CONVERGES),
        baselines=(),
        stands_in_for=stands_in_for,
        quick=STYLE_QUICK,
        smoke=STYLE_SMOKE,
    )


EXPERIMENTS = (
    dream_experiment("inception_v3", INCEPTION_V3_DREAM_LAYERS, stands_in_for=None),
    dream_experiment("mobilenet", MOBILENET_DREAM_LAYERS, stands_in_for="InceptionV3"),
    style_experiment("vgg19", VGG19_STYLE_LAYERS, stands_in_for=None),
    style_experiment("mobilenet", MOBILENET_STYLE_LAYERS, stands_in_for="VGG19"),
)
CLAIMS = ()
