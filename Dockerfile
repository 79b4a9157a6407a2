# Two images from one file, each installing only its own locked, hash-checked dependencies:
#   app (the default, last stage): web, worker, feed, beat, flower, migrate; compose picks the
#        command. Runtime dependencies only (requirements.lock): no development servers (no
#        embedded PostgreSQL, no redis-server, no honcho, no simulator, no test tools).
#   simulator: the Alltick-compatible demo market data (requirements-sim.lock), nothing else.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 app

FROM base AS simulator
COPY requirements-sim.lock .
RUN pip install --require-hashes --no-deps -r requirements-sim.lock
COPY marketdata/__init__.py marketdata/
COPY marketdata/simulator marketdata/simulator
USER app
EXPOSE 8765
CMD ["python", "-m", "marketdata.simulator", "--host", "0.0.0.0", "--port", "8765"]

FROM base AS app
ENV APP_ENV=production
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY . .
# The simulator and the local-server scripts are development tools: not in this image.
RUN rm -rf marketdata/simulator scripts \
    && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
