"""Services: what the bot does, with no Telegram types inside."""
