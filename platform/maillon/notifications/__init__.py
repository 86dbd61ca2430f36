"""Notifications: e-mail through the jobs outbox (in-app notifications come with the network)."""
