"""Finding members: the engine side of the top-level ``search`` package (indexing, queries)."""
