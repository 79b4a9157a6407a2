"""gunicorn settings, from the environment (see .env.example).

The web process serves REST and the /ws relay. The worker class is gevent: every WebSocket holds
a handler, a reader and simple-websocket's own loop for its whole life, which gevent runs as
greenlets. Measured with bench/ws.py (1,000 sockets x 5 symbols, 50 ticks/s, one worker):
gevent delivered every quote with p99 13 ms and 168 KiB per socket; gthread (3,000 OS threads)
fell behind: p99 3.2 s and a fifth of the quotes still queued when the run ended.

Logs: logsafe escapes line breaks in every record (the access log's path included), so a client
cannot forge a log line; the access log has the path without its query string (tokens).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logsafe

logsafe.install()

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('WEB_PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = os.environ.get("WEB_WORKER_CLASS", "gevent")
threads = int(os.environ.get("WEB_THREADS", "64"))
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "5000"))
timeout = 60
graceful_timeout = 10
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "1") == "1" else None
access_log_format = 'remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s duration_us=%(D)s'
