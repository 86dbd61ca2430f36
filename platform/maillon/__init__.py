"""Maillon: a federated, white-label professional networking engine."""

from maillon.app import create_app

__all__ = ["create_app"]
