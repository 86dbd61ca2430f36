"""The staff's statistics dashboard: members, activity, introductions and moderation over a
date range, as charts (server-rendered SVG), tables and a CSV file."""
