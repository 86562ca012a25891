"""A Prometheus server as a source: node_exporter's meminfo of many hosts, and the
per-process view of memtui exporters, read through Prometheus's query API."""
