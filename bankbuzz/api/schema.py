"""How the schema describes our two ways in (loaded by ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "bankbuzz.api.authentication.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "bbz_...",
            "description": "A personal token from your profile page (read, or read and write).",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "bankbuzz.api.authentication.VerifiedSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's session after both login factors (writes need the CSRF header).",
        }
