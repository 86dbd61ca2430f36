"""Accounts: registration, e-mail verification, approval, login sessions, API tokens."""
