"""Demo data: realistic communities for the demo instances, large synthetic ones for benches."""
