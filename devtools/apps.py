from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tools (installed under DEBUG only): the `demo_seed` command, and the sandbox's
    access token, registered with listening so the accounts page can show it."""

    name = "devtools"
    verbose_name = "Development tools"

    def ready(self) -> None:
        from devtools.sandbox.world import DEMO_TOKEN
        from listening.services import sandbox_register

        sandbox_register(token=DEMO_TOKEN)
