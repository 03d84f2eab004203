"""apicheck: finds version-skew mismatches between Docker API clients and daemons."""

__version__ = "0.1.0"
