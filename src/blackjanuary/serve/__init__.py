"""Serving the app: the gunicorn server and its worker."""
