"""The WebSocket relay at /ws: live quotes and per-account events (see README, "Real time")."""
