"""How drf-spectacular describes Atlas's token schemes in the OpenAPI document."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.SessionTokenAuthentication"
    name = "BearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": ("A token from any door's sign-in: atlas accessToken, scenes jwtToken, studio token, "
                                "or the access_token of POST /oauth2/token for an API key pair.")}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Token",
                "description": "A Face ID API token from POST /api/v1/auth/token (any door's token works too)."}
