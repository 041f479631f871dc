"""Workorders service: entrypoints only; the rules live in plain modules beside it."""
from chassis.service import ServiceBase


class Service(ServiceBase):
    name = "workorders"
