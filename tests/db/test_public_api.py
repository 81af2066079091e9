"""`app.db` exports exactly the documented API, each name the object its module defines."""

import app.db
from app.db.mongo import db as mongo_module
from app.db.mongo import dependencies as mongo_dependencies
from app.db.postgres import base, dependencies, init_db, statements


def test_public_api_is_exactly_the_documented_names() -> None:
    assert set(app.db.__all__) == {
        "Base",
        "CompiledStatementError",
        "MongoSessionDep",
        "PgReadSessionDep",
        "PgSessionDep",
        "close_postgres_db",
        "fetch_all",
        "fetch_one",
        "init_postgres_db",
        "mongo_db",
    }


def test_each_public_name_is_the_object_of_its_module() -> None:
    assert app.db.Base is base.Base
    assert app.db.PgSessionDep is dependencies.PgSessionDep
    assert app.db.PgReadSessionDep is dependencies.PgReadSessionDep
    assert app.db.MongoSessionDep is mongo_dependencies.MongoSessionDep
    assert app.db.init_postgres_db is init_db.init_postgres_db
    assert app.db.close_postgres_db is init_db.close_postgres_db
    assert app.db.fetch_one is statements.fetch_one
    assert app.db.fetch_all is statements.fetch_all
    assert app.db.CompiledStatementError is statements.CompiledStatementError
    assert app.db.mongo_db is mongo_module.mongo_db
    assert isinstance(app.db.mongo_db, mongo_module.MongoDb)
