"""Curated collections."""
