"""Agreements held as code: the YAML format, its loader and validator, bundled examples."""

from ceasefire.agreements.loader import bundled_names, load_agreement, resolve_agreement_path

__all__ = ["bundled_names", "load_agreement", "resolve_agreement_path"]
