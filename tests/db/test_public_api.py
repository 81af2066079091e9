"""`app.db` exports exactly the seed's API (plus `Base`)."""

import app.db


def test_public_api_is_exactly_the_documented_names() -> None:
    assert set(app.db.__all__) == {
        "Base",
        "MongoSessionDep",
        "PgSessionDep",
        "close_postgres_db",
        "init_postgres_db",
        "mongo_db",
    }
    for name in app.db.__all__:
        assert getattr(app.db, name) is not None
