"""The home venue: a neighbourhood of homes and their households (see :mod:`.venue`)."""
