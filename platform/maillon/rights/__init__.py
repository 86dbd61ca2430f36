"""Member data rights: the export of everything about a member, account deletion (by the
member or an admin) and the retention policy of closed introductions' private texts."""
