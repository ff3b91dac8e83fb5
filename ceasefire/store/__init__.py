"""Stores behind one interface. SQLite in a workspace folder is the embedded default."""

from ceasefire.store.core import ImportSummary, Store

__all__ = ["ImportSummary", "Store"]
