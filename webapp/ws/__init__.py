"""The WebSocket relay at /ws: live quotes and per-account events (docs/websocket.md)."""
