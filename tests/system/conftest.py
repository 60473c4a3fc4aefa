"""The system tier: every test here is marked ``slow`` (deselect with ``-m 'not slow'``)."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(__file__.rsplit("/", 1)[0]):
            item.add_marker(pytest.mark.slow)
