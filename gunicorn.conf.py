"""gunicorn settings, from the environment (see .env.example).

The web process serves REST and the /ws relay. WebSocket connections each hold a thread under
the gthread worker class.
"""

import os

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "64"))
timeout = 60
graceful_timeout = 10
accesslog = "-"
access_log_format = 'remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s duration_us=%(D)s'
