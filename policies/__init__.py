"""policies package of twin."""
