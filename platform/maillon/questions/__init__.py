"""Ask your network: a question to one's connections (and optionally theirs), answers
collected on one page for the asker, who thanks the best ones."""
