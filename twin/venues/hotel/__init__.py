"""The hotel venue: guests in rooms, a front desk and housekeeping (see :mod:`.venue`)."""
