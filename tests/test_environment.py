"""The environment fingerprint: what decides a CPU's kernels is recorded with the CPU."""

import json
import os
import subprocess
import sys

import pytest

from dlwp_suite.environment import cpu_vector_flags

AMD_AVX2 = "model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx fma avx2 bmi2 sha_ni\n"
INTEL_VNNI = "model name\t: Intel(R) Xeon(R)\nflags\t: avx2 fma avx512f avx512bw avx512_vnni\n"


def test_the_vector_flags_tell_apart_cpus_that_one_model_name_hides():
    assert cpu_vector_flags(AMD_AVX2) == "avx2 fma"
    assert cpu_vector_flags(INTEL_VNNI) == "avx2 fma avx512f avx512_vnni"
    assert cpu_vector_flags("model name\t: a CPU without a flags line\n") == ""


@pytest.mark.parametrize("switch", ["0", "1"])
def test_the_fingerprint_says_whether_tensorflow_runs_onednn(switch: str):
    """TF_ENABLE_ONEDNN_OPTS overrides TensorFlow's default by CPU; the record follows."""
    pytest.importorskip("tensorflow")
    code = "import json; from dlwp_suite.environment import fingerprint; "
    code += "print(json.dumps(fingerprint()))"
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": switch, "KERAS_BACKEND": "tensorflow"}
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    recorded = json.loads(shown.stdout.strip().splitlines()[-1])
    assert recorded["tensorflow_onednn"] == {"0": "off", "1": "on"}[switch]
