"""One module per log-format family; each exposes ``READERS`` (see :mod:`..registry`)."""
