"""Marshmallow schemas by role (XSchema, XCreateSchema, XPatchSchema, XQueryArgsSchema)."""
