"""agents package of twin."""
