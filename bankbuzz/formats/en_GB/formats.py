"""en-GB as Django has it, but times as "05:37" (not "5:37 a.m."), and ISO dates in forms first.

ISO first: a date input (`<input type="date">`) takes and shows only yyyy-mm-dd, and a widget
renders its value with the first input format.
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
