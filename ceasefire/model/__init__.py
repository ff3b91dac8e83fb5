"""Pure domain records: no I/O here."""
