"""BankBuzz settings, configured from the environment (12-factor).

Every value comes from an environment variable (or its `*_FILE` variant) read
through the typed helpers in `bankbuzz.env`, which name the variable in their
error. Secrets have no default outside DEBUG. See the README, "Configuration".
One module per concern; a later module imports what it needs from an earlier one.
"""

from bankbuzz.settings.api import *  # noqa: F403
from bankbuzz.settings.base import *  # noqa: F403
from bankbuzz.settings.complaints import *  # noqa: F403
from bankbuzz.settings.data_protection import *  # noqa: F403
from bankbuzz.settings.logs import *  # noqa: F403
from bankbuzz.settings.mail import *  # noqa: F403
from bankbuzz.settings.networks import *  # noqa: F403
from bankbuzz.settings.security import *  # noqa: F403
