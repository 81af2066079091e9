"""Errors the database layer raises; `app.errors` maps each to one HTTP status.

DatabaseError
├── ResourceAlreadyExistsError   409
├── ResourceNotFoundError        404
└── DatabaseUnavailableError     503
"""


class DatabaseError(Exception):
    """Base of every error raised by `app.db` and the repositories."""


class ResourceAlreadyExistsError(DatabaseError):
    """A resource with this identifier is already stored."""

    def __init__(self, resource_name: str, identifier: object) -> None:
        self.resource_name = resource_name
        self.identifier = identifier
        super().__init__(f"{resource_name} with identifier {identifier} already exists")


class ResourceNotFoundError(DatabaseError):
    """No resource with this identifier is stored."""

    def __init__(self, resource_name: str, identifier: object) -> None:
        self.resource_name = resource_name
        self.identifier = identifier
        # "does not exists" (sic): the published wording, kept because clients may match it.
        super().__init__(f"{resource_name} with identifier {identifier} does not exists")


class DatabaseUnavailableError(DatabaseError):
    """A database is down, unreachable or too slow to answer; the message names no secret."""

    def __init__(self, database: str, reason: str = "try again later") -> None:
        self.database = database
        super().__init__(f"{database} is unavailable: {reason}")
