"""hw_adapters package of twin."""
