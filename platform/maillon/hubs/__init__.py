"""Hubs: topic communities inside an instance, with threads, replies, mentions and follows."""
