#!/usr/bin/env bash
# The book profile on this machine: every case the plan says fits here, 3 seeds, cheapest
# first, resumable.
#
#   benchmarks/cpu_book.sh RUN_ID [SECONDS]
#
# The plan (`dlwp-suite plan`, from the time probes and book runs under results/, their
# times scaled to this machine's speed now where they carry a canary) names the cases
# that fit this machine (its stack, device and CPU kernels: a probe must have timed them
# here) and lack 3 seeds on its stack and device (on any CPU, as the judge counts). Each
# runs as its own pytest invocation joining RUN_ID (`--dlwp-resume`), so an interrupted
# case resumes at the seed it lost and a later call carries on where this one stopped.
# SECONDS (default: no limit): a case starts only if the plan expects it to end within
# them, so a run fits a working session. Settings: DLWP_SEEDS (3), DLWP_DATA_DIR (the
# mirror).
set -uo pipefail
cd "$(dirname "$0")/.."
run_id=${1:?usage: $0 RUN_ID [SECONDS]}
budget=${2:-0}
started=$(date +%s)
plan=$(dlwp-suite plan --selections fits --seconds --machine here) || exit 2
[ -n "$plan" ] || { echo "nothing left that fits here"; exit 0; }
mapfile -t selections <<< "$plan"
worst=0
for planned in "${selections[@]}"; do
    expected=${planned%%$'\t'*}
    selection=${planned#*$'\t'}
    spent=$(($(date +%s) - started))
    if [ "$budget" -gt 0 ] && [ $((spent + expected)) -gt "$budget" ]; then
        echo "== not started (~${expected}s planned, $((budget - spent))s left): $selection"
        continue
    fi
    echo "== $selection (~${expected}s planned, ${spent}s spent)"
    python -m pytest "benchmarks/test_${selection%% -k *}" -k "${selection#* -k }" \
        --dlwp-profile=book --dlwp-seeds="${DLWP_SEEDS:-3}" --dlwp-resume "$run_id" \
        -p no:cacheprovider -rs
    status=$?
    [ "$status" -gt "$worst" ] && worst=$status
done
echo "== total $(($(date +%s) - started))s"
exit "$worst"
