"""Why the character-LSTM stand-in's held-out loss stays above the character 5-gram's:
the book's step (RMSprop lr 0.01), or what 0.4 M characters let a 128-unit LSTM learn.

Trains ``ch08.text.char_lstm_stand_in[1e]`` as the book profile declares it, at another
learning rate and for fewer epochs, and prints one JSON line a seed: the learning rate,
each epoch's training and held-out loss, the best held-out loss and the n-gram's. At the
book's lr the best held-out loss (1.626-1.642 on 3 seeds) comes at epoch 4-5 while the
training loss falls on. A lower rate that ends below those says the step holds it back;
one that flattens at the same loss says the text does.

    DLWP_DATA_DIR=../shared/data python benchmarks/char_lstm_lr_probe.py 0.001 16 0

results/benchmarks/char-lstm-lr-probe-tf221-lr0.001-16epochs-seed0.jsonl is that command's
output on TF 2.21 (CPU, 2026-12-07).
"""

import dataclasses
import json
import sys

from dlwp_suite.datafiles import DataConfig
from dlwp_suite.experiments import get
from dlwp_suite.protocols import get as protocol


def main(learning_rate: float, epochs: int, seeds: list[int]) -> None:
    experiment = get("ch08.text.char_lstm_stand_in")
    case = experiment.case("1e", "book")
    params = {**case.params, "learning_rate": learning_rate, "epochs": epochs}
    case = dataclasses.replace(case, params=params)
    data = experiment.prepare(experiment.load_data(DataConfig.from_settings(), case.params))
    runner = protocol(experiment.protocol)
    ngram = runner.baseline("char_ngram", case, data, seeds[0]).metrics["val_loss"]
    for seed in seeds:
        result = runner.run(case, data, seed)
        line = {
            "case": case.id,
            "seed": seed,
            "learning_rate": learning_rate,
            "epochs": epochs,
            "loss": result.history["loss"],
            "val_loss": result.history["val_loss"],
            "best_val_loss": min(result.history["val_loss"]),
            "char_ngram_val_loss": ngram,
            "train_s": result.timings.get("train_s"),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]), [int(s) for s in sys.argv[3].split(",")])
