from chassis.alembic_env import run

run()
