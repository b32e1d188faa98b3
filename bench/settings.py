"""Settings of the bench processes: production settings (DEBUG off), static files from the finders.

Static files are not what the bench measures, and the bench databases are made without running
`collectstatic`, so the bench serves them from the finders as development does and changes
nothing else.
"""

from bankbuzz.settings import *  # noqa: F403
from bankbuzz.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
