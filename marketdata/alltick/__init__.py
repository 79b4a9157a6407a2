"""Alltick vendor layer: pure `protocol`/`rest_protocol`, `ws_client` stream, `rest_client`."""
