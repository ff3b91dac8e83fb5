"""Exports: incidents back to UCDP GED and ACLED CSV layouts, and to GeoJSON for maps."""
