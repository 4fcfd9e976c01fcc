# The ReturnBridge image: `returnbridge serve` by default; the same image runs the worker
# (`returnbridge worker`) and the migrations (`returnbridge db upgrade`). See compose.yaml
# and "Running it bigger" in the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY graph /src/graph
COPY language /src/language
COPY tools /src/tools
COPY prompts /src/prompts
COPY policies /src/policies
COPY ledger /src/ledger
COPY adapters /src/adapters
RUN pip install /src && rm -rf /src

WORKDIR /app
# The demo store folder; mount your own over /app/store.
COPY store /app/store
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin returnbridge \
    && mkdir -p /app/var \
    && chown returnbridge:returnbridge /app/var
USER returnbridge

# Listen on all interfaces inside the container; the generated secret key (when
# RETURNBRIDGE_SECRET_KEY is unset) and a SQLite database would live in /app/var.
ENV RETURNBRIDGE_HOST=0.0.0.0 \
    RETURNBRIDGE_PORT=8000 \
    RETURNBRIDGE_DATA_DIR=/app/var \
    RETURNBRIDGE_DATABASE_URL=sqlite:////app/var/returnbridge.db
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["returnbridge", "serve"]
