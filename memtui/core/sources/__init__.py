"""Where the model's data comes from: live /proc, a recording (store or CSV), later a
Prometheus server. Each hands the model the same things (a meminfo history, process
histories, process tables), so the screens never know which one is behind them."""
