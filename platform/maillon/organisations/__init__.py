"""Organisations inside an instance: pages, admins, members' affiliations, reach and the
colleagues who can introduce the organisation to someone (docs/architecture.md)."""
