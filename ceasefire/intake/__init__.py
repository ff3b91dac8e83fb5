"""Adapters that turn source files into incidents (and quarantine what they cannot read)."""
