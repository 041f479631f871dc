"""HTTP schemas of user administration (``user_routes``); ``UserCreate`` and
``User`` stay in ``schemas`` (``create_admin`` loads ``UserCreate``)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.identity import ROLES

from . import passwords
from .schemas import PageQuery, User, page_of


class UserView(User):
    updated_at = fields.AwareDateTime()
    must_change_password = fields.Boolean(metadata={
        "description": "set by a reset: the user must change the temporary password"})
    password_changed_at = fields.AwareDateTime(allow_none=True)


UserPage = page_of(UserView, "UserPage")


class UserQuery(PageQuery):
    q = fields.String(validate=validate.Length(min=1, max=64),
                      metadata={"description": "part of the username, any case"})
    role = fields.String(validate=validate.OneOf(ROLES))
    store_id = fields.UUID(metadata={"description": "users of this store"})
    active = fields.Boolean()


class UserChange(Schema):
    """A new role and/or the stores the user works in (all of them)."""

    role = fields.String(validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.UUID(), validate=validate.Length(max=1000))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("send role and/or store_ids")


class PasswordReset(Schema):
    id = fields.UUID()
    username = fields.String()
    temporary_password = fields.String(metadata={
        "description": "shown once, never again: give it to the user, who must change it "
                       "at their next sign-in"})
    must_change_password = fields.Boolean()


class PasswordChange(Schema):
    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))

    @validates_schema
    def new_differs(self, data, **kwargs):
        if data["new_password"] == data["current_password"]:
            raise ValidationError("must differ from the current password", "new_password")


def new_password_problems(password, username):
    """``passwords.problems`` as a 422's errors (the username is only known
    to the route, so this is checked there, not in the schema)."""
    found = passwords.problems(password, username)
    return {"new_password": found} if found else {}
