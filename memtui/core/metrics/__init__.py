"""What memtui renders for a metrics system: its per-process view as Prometheus metrics."""
