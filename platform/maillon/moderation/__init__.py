"""Moderation: staff roles, the audit log, and (later) sanctions, appeals and reports."""
