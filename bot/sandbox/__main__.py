"""``python -m bot.sandbox``; also exports :func:`run_sandbox` for ``fabrique-bot sandbox``."""

from bot.sandbox.cli import main, run_sandbox

__all__ = ["run_sandbox"]

if __name__ == "__main__":
    main()
