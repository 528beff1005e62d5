"""Benchmarks need a Keras backend: say so once, before collection imports Keras."""

import pytest

from dlwp_suite.environment import BackendUnavailable, import_keras


@pytest.hookimpl(trylast=True)  # after the plugin has chosen the device
def pytest_configure(config: pytest.Config) -> None:
    try:
        import_keras()
    except BackendUnavailable as error:
        raise pytest.UsageError(str(error)) from None
