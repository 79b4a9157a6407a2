"""Flower's Celery app: `celery -A flower_app flower`.

Flower only watches the broker, so it gets a Celery app with the broker settings and nothing
else: no Flask app, hence no database URL, SECRET_KEY or JWT_SECRET_KEY in its environment (it
is the operator surface most likely to be reached). Its settings are the workers'
(tasks.celery_settings).
"""

from celery import Celery

from config import ConfigError, env_int, env_str
from tasks import celery_settings

REDIS_URL = env_str("REDIS_URL")
if not REDIS_URL:
    raise ConfigError("flower needs REDIS_URL")

app = Celery("webapp")
app.config_from_object(
    celery_settings(
        {"REDIS_URL": REDIS_URL, "CELERY_TASK_TIME_LIMIT": env_int("CELERY_TASK_TIME_LIMIT", 300)}
    )
)
