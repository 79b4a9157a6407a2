"""marshmallow schemas: what the API accepts and returns."""
