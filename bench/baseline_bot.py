"""The baseline of bench/throughput.py: a plain python-telegram-bot bot with a ConversationHandler.

The same dialog shape as Fabrique (consent, paradox, persona, wish, typed ranking, summary),
with python-telegram-bot's defaults: updates handled one after another, state in memory.
"""

from __future__ import annotations

import os
import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

CONSENT, PARADOX, PERSONA, WISH, VALUES, SUMMARY = range(6)


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label[:20])] for label in labels])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Bienvenue ! Vos données…", reply_markup=keyboard("J’accepte", "Non merci")
    )
    return CONSENT


async def tapped(update: Update, text: str, *labels: str) -> None:
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.answer()
    await query.edit_message_reply_markup(None)
    await query.message.reply_text(text, reply_markup=keyboard(*labels) if labels else None)


async def consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await tapped(update, "Paradoxe 1 sur 7…", "Répondre ▶")
    return PARADOX


async def paradox(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await tapped(update, "De quel habitant vous sentez-vous le plus proche ?", "Malika", "Laurence", "Carlos")
    return PERSONA


async def persona(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await tapped(update, "En 2030, ma métropole idéale est…")
    return WISH


async def wish(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Classez les cinq valeurs…")
    return VALUES


async def values(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Voici votre réponse.", reply_markup=keyboard("✅ Je confirme"))
    return SUMMARY


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await tapped(update, "Merci !")
    return ConversationHandler.END


def main() -> None:
    api = sys.argv[1]
    application = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(f"{api}/bot").build()
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                CONSENT: [CallbackQueryHandler(consent)],
                PARADOX: [CallbackQueryHandler(paradox)],
                PERSONA: [CallbackQueryHandler(persona)],
                WISH: [MessageHandler(filters.TEXT, wish)],
                VALUES: [MessageHandler(filters.TEXT, values)],
                SUMMARY: [CallbackQueryHandler(confirm)],
            },
            fallbacks=[],
        )
    )
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
