"""Introductions relayed along chains of trusted contacts."""
