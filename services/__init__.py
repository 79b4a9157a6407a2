"""Use cases, one unit of work each, and the Redis stores they use."""
