# Fabrique bot: a slim image running as a non-root user, SQLite data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

RUN useradd --create-home --uid 10001 fabrique \
    && mkdir /data && chown fabrique:fabrique /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY locales ./locales
RUN pip install . && fabrique-bot --help > /dev/null

USER fabrique
VOLUME ["/data"]
ENTRYPOINT ["fabrique-bot"]
CMD ["run"]
