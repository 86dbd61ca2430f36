"""Operations: health and readiness probes, structured logs, Prometheus metrics, pruning."""
