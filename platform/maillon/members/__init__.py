"""Members: profiles, privacy, contact policy."""
