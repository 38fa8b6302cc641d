"""The store venue: shoppers, lanes, music and displays (see :mod:`.venue`)."""
