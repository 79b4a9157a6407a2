"""The Celery entry point: `celery -A celery_worker worker|beat|flower`."""

from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
app = celery
