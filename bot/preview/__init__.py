"""The phone preview: the bot against its own local Bot API server, in a web chat on 127.0.0.1.

``fabrique-bot run`` without a ``TELEGRAM_BOT_TOKEN`` starts it, so that staff can try the
consultation (content, translations, announcements, exports) and newcomers can see the bot
work without creating a Telegram bot first.
"""

from bot.preview.server import PEOPLE, Person, PreviewSandbox, run_preview

__all__ = ["PEOPLE", "Person", "PreviewSandbox", "run_preview"]
