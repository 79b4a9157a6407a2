"""REST resources, one blueprint per resource (flask-smorest)."""
