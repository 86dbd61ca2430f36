"""Opportunities relayed by ambassadors: posting, suggestions, relays, answers, referrals."""
