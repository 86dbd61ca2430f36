"""Development helpers: the outbox of mail caught by the local SMTP sink."""
