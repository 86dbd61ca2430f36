"""Background jobs: a transactional outbox table drained by workers."""
