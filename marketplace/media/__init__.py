"""Stored media files: served only through an authorised view."""
