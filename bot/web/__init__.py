"""The bot's HTTP side: Telegram's webhook, health checks and Prometheus metrics."""
