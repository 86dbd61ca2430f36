"""Connections between members, their private trust ratings, and the compact graph."""
