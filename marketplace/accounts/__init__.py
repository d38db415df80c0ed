"""Accounts: sign-in, roles and user administration."""
