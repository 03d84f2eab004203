"""Shared fixtures. Each area keeps its fixtures in its own module, listed here."""

pytest_plugins = [
    "tests.realdaemons",
    "pytester",  # the pytest plugin's own tests (tests/test_pytest_plugin.py)
]
