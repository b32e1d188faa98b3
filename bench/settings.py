"""Settings of the bench processes: production settings (DEBUG off), static files from the finders.

`collectstatic` under production settings currently fails (the vendored Chart.js names a
source map that is not vendored: see docs/benchmarks.md), and static files are not what the
bench measures, so the bench serves them as development does and changes nothing else.
"""

from bankbuzz.settings import *  # noqa: F403
from bankbuzz.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
