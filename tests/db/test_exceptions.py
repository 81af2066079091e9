"""The two resource errors keep their attributes and exact, published wording."""

from app.db.exceptions import ResourceAlreadyExistsError, ResourceNotFoundError


def test_already_exists_error_message_and_attributes() -> None:
    error = ResourceAlreadyExistsError("User", 42)

    assert str(error) == "User with identifier 42 already exists"
    assert (error.resource_name, error.identifier) == ("User", 42)


def test_not_found_error_keeps_its_published_wording() -> None:
    error = ResourceNotFoundError("User", "ann")

    assert str(error) == "User with identifier ann does not exists"
    assert (error.resource_name, error.identifier) == ("User", "ann")
