"""Django's PostgreSQL backend with a health check that costs no round trip and a cursor that prepares its
statements (see base.py)."""
