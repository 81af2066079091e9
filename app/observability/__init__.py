"""What operators see of the app: request-id logs, Prometheus metrics, database spans."""
