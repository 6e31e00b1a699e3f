"""Alembic environment: run migrations on the connection Kronika hands over (or the configured URL)."""
from alembic import context
from sqlalchemy import create_engine

from kronika.storage.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _run(connection)


def _run(connection) -> None:
    if connection.dialect.name == "sqlite":
        # batch mode copies a table and renames the copy into place; modern SQLite would re-check
        # every view (migration 0005's) during that rename and fail on the table that is briefly gone
        connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    # batch mode: SQLite can only alter tables by copying them
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
