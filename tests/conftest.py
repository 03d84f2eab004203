"""Shared fixtures. Each area keeps its fixtures in its own module, listed here."""

pytest_plugins = [
    "tests.realdaemons",
]
