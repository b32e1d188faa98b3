"""Development tools, outside the product: the sandbox (the networks' stand-ins) and the demo.

- `devtools.sandbox`: local stand-ins for the X, Graph and LinkedIn APIs that the real client
  libraries run against (`python -m devtools.sandbox`; `make run` starts it, the tests use it).
- `devtools.demo`: the demo organisation's seeding, a module per app, run by `manage.py demo_seed`;
  `python -m devtools.demo.totp` prints the demo logins' current two-factor code.

The Django app `devtools` (the `demo_seed` command, the sandbox's token on the accounts page) is
installed only under DEBUG or with BANKBUZZ_DEVTOOLS=1 (bankbuzz/settings.py); production never
installs it, and no product module imports it (pyproject.toml, contract `no-devtools-in-product`).
This package stays free of Django imports: the sandbox and the TOTP printer run without it.
"""
