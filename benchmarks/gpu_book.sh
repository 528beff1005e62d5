#!/usr/bin/env bash
# The book profile on one GPU, chapter by chapter, inside a time budget.
#
#   benchmarks/gpu_book.sh pack MIRROR   # here: copy the mirror's files it needs into
#                                        # .gpu_data/, the missing wheels and the suite's
#                                        # own into .whl/ (both in .gitignore; carry them)
#   benchmarks/gpu_book.sh run [SEL...]  # there: install the wheels, run, records to $OUT;
#                                        # SEL is "FILE -k EXPR" (default: the plan's
#                                        # GPU-sized cases that pack wrote, cheapest first)
#
# Made for GPU machines that have JAX and PyTorch but no TensorFlow, no Keras and no
# network, and take at most 64 MiB of working tree: the dogs-vs-cats images (76 MB) do
# not travel, so chapter 5's dogs cases skip there with the missing-data message (the
# Jena series is not in the mirror either). Chapters run cheapest first, each seed's
# record is written when it finishes, and a chapter interrupted by the budget (SIGINT)
# leaves its finished seeds recorded: the report shows what ran, with its seeds.
# DLWP_GIT_REVISION names the suite's revision: the copied tree's .git may be stale.
# Settings: KERAS_BACKEND (default jax), DLWP_GPU_BUDGET_S (default 480), DLWP_SEEDS (1);
# DLWP_PROFILE (book) and DLWP_DEVICE (gpu) let a CPU machine rehearse it.
set -uo pipefail
cd "$(dirname "$0")/.."

# What the book profile reads from the mirror, beside its checksums and sources.
DATA_FILES=(aclImdb_v1.tar.gz imdb_word_index.json boston_housing.npz mnist.npz
    glove.6B.50d.imdb-top30k.txt SHA256SUMS SOURCES.md)  # 53 MB of the 64 MiB carried
# Keras and the suite's dependencies the GPU image lacks (it has numpy, jax, torch, pandas,
# scikit-learn, scipy, matplotlib, tabulate, pytest and pytest-benchmark).
WHEELS=(keras==3.15.1 optree==0.20.0 namex==0.1.0 pooch==1.9.0 platformdirs==4.14.8)

pack() {
    local mirror=$1
    rm -rf .whl  # one version of each wheel: pip refuses duplicates
    mkdir -p .gpu_data .whl
    for name in "${DATA_FILES[@]}"; do cp -p "$mirror/$name" .gpu_data/ || exit 1; done
    for wheel in "${WHEELS[@]}"; do
        python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
            --implementation cp --platform manylinux_2_28_x86_64 \
            --platform manylinux_2_17_x86_64 -d .whl "$wheel" || exit 1
    done
    # The suite's own wheel: its pytest11 entry point registers the plugin there.
    rm -f .whl/dlwp_suite-*.whl
    python3 -m pip wheel -q --no-deps -w .whl . || exit 1
    # The plan's GPU-sized cases (time probes and book runs in results/), cheapest first.
    dlwp-suite plan --selections gpu-sized > .gpu_data/selections.txt || exit 1
    echo "$(wc -l < .gpu_data/selections.txt) selections in .gpu_data/selections.txt"
    du -sh .gpu_data .whl
}

run() {
    local started budget out
    started=$(date +%s)
    budget=${DLWP_GPU_BUDGET_S:-480}
    out=${OUT:-gpu-results}
    mkdir -p "$out"
    # The carried wheels, without the network. The tree stays first on the path, so the
    # code that runs is the tree's; the suite's wheel adds its plugin's entry point.
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=$PWD:/tmp/site
    export KERAS_BACKEND=${KERAS_BACKEND:-jax} PYTHONUNBUFFERED=1
    export DLWP_DATA_DIR=${DLWP_DATA_DIR:-$PWD/.gpu_data} DLWP_CACHE_DIR=/tmp/dlwp-cache
    export DLWP_RUN_ID=${DLWP_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-gpu-book}
    export XLA_PYTHON_CLIENT_PREALLOCATE=false  # leave the GPU's memory to what runs
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
    python3 -c "from dlwp_suite import environment as e; print(e.fingerprint())" || exit 1
    local selection left chapter_started status worst=0
    local selections=("$@")
    # Cheapest first, so a short lease still records whole chapters. Each selection names
    # its claims too (their ids are not the cases'): a claim checks the cases of its run,
    # those of earlier selections included (they share DLWP_RUN_ID).
    if [ "${#selections[@]}" -eq 0 ] && [ -s .gpu_data/selections.txt ]; then
        mapfile -t selections < .gpu_data/selections.txt
    fi
    # Without a plan: every chapter that runs there.
    [ "${#selections[@]}" -gt 0 ] || selections=("ch05.py -k mnist" "ch04.py -k ch04"
        "ch03.py -k imdb" "ch06.py -k imdb2e.bag or imdb2e-bigrams-beat-unigrams or imdb2e-tfidf"
        "ch06.py -k imdb.glove or imdb.embedding or imdb-glove" "ch03.py -k boston"
        "ch06.py -k imdb.sequences or imdb.reversed or imdb-lstm or imdb-reversed or imdb-bidirectional or imdb-conv1d"
        "ch06.py -k imdb2e.sequences or imdb2e-positional or imdb2e-bigrams-beat-transformer or imdb2e-bigrams-beat-bilstm"
        "ch08.py -k dcgan_stand_in" "ch08.py -k transformer_lm or lm-variety")
    for selection in "${selections[@]}"; do  # all checked before any runs
        case "$selection" in
            *" -k "*) ;;
            *) echo "selection \"$selection\" is not \"FILE -k EXPR\"" >&2; return 2 ;;
        esac
    done
    for selection in "${selections[@]}"; do
        left=$((budget - ($(date +%s) - started)))
        if [ "$left" -lt 20 ]; then
            echo "== not started, budget spent: $selection"
            continue
        fi
        echo "== $selection (budget left ${left}s)"
        chapter_started=$(date +%s)
        # Each selection is a test file, then a -k expression.
        timeout --signal=INT --kill-after=15 "$left" python3 -m pytest \
            "benchmarks/test_${selection%% -k *}" -k "${selection#* -k }" \
            --dlwp-profile="${DLWP_PROFILE:-book}" --dlwp-device="${DLWP_DEVICE:-gpu}" \
            --dlwp-seeds="${DLWP_SEEDS:-1}" --dlwp-results="$out" -p no:cacheprovider -q -rs
        status=$?
        echo "== $selection: exit $status after $(($(date +%s) - chapter_started))s"
        [ "$status" -gt "$worst" ] && worst=$status
    done
    echo "== total $(($(date +%s) - started))s"
    return "$worst"
}

case "${1:-}" in
    pack) pack "${2:?usage: $0 pack MIRROR}" ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 pack MIRROR | run [\"FILE -k EXPR\"...]" >&2; exit 2 ;;
esac
