"""Telegram handlers: translate an update into a service call and render the reply."""
