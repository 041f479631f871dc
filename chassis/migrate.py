"""Run a component's Alembic migrations: ``python -m chassis.migrate inventory``."""
from __future__ import annotations

import argparse

from alembic import command
from alembic.config import Config

from chassis import components, config


def alembic_config(component: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", components.migrations_dir(component))
    cfg.set_main_option("sqlalchemy.url", (url or config.database_url(component)).replace("%", "%%"))
    cfg.attributes["component"] = component
    return cfg


def upgrade(component: str, url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(component, url), revision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("component")
    parser.add_argument("--url", help="database URL (default: <COMPONENT>_DATABASE_URL)")
    parser.add_argument("--revision", default="head")
    args = parser.parse_args()
    upgrade(args.component, args.url, args.revision)
    print(f"{args.component}: migrated to {args.revision}")


if __name__ == "__main__":
    main()
