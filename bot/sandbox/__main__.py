"""``python -m bot.sandbox``: the sandbox as a standalone server."""

from bot.sandbox.cli import main

if __name__ == "__main__":
    main()
