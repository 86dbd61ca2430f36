"""Federation: how an instance meets other servers over ActivityPub (docs/federation.md)."""
