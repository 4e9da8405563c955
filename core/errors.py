"""Errors that services raise when a request breaks a rule.

Each carries a message a person can act on and the HTTP status that says what kind of refusal it is;
doors render them in their own error shape. Services never import a door.
"""


class ServiceError(Exception):
    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    status = 400


class Unauthenticated(ServiceError):
    status = 401


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Unavailable(ServiceError):
    status = 503
