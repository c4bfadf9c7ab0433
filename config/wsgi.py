import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Refuse to serve with identity keys that do not match the data (core.keys): gunicorn's master loads this
# module before forking, so a mismatch stops it at start with the message.
from core.keys import keys_verify_at_start  # noqa: E402 - needs the application (Django) set up

keys_verify_at_start()
