"""gunicorn settings, from the environment (see .env.example).

The web process serves REST and the /ws relay. WebSocket connections each hold a thread under
the gthread worker class.
"""

import os

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "64"))
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "5000"))
timeout = 60
graceful_timeout = 10
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "1") == "1" else None
access_log_format = 'remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s duration_us=%(D)s'
