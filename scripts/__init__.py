"""Developer and operator scripts (local servers, the two commands)."""
