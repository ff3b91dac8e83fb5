"""Compliance: coverage of actors, phase windows, findings per incident, and the clock."""
