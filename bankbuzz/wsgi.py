import os

from django.core.wsgi import get_wsgi_application

from bankbuzz.startup import freeze_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankbuzz.settings")
application = get_wsgi_application()
freeze_startup()
