"""Form definitions as JSON Schema: load, validate + coerce, and render view-models.

Pure Python: never imports flask, werkzeug, engine or sqlalchemy. Custom validators
live in forms/<name>.py, register themselves on import and are imported on first use.
"""

from __future__ import annotations

from forms.checks import Account, Context
from forms.display import Node, field_shapes, label_for, plain, view
from forms.render import Field, ReadonlyField, fields, general_errors, readonly_fields
from forms.spec import (
    DEFAULT_FORMS_DIR,
    FormNotFound,
    FormSchemaInvalid,
    FormSpec,
    load,
)
from forms.validate import (
    ContextValidatorFn,
    FieldInvalid,
    FormErrors,
    ValidatorFn,
    register_context_validator,
    register_validator,
    validate,
)

__all__ = [
    "Account",
    "Context",
    "ContextValidatorFn",
    "DEFAULT_FORMS_DIR",
    "Field",
    "Node",
    "FieldInvalid",
    "FormErrors",
    "FormNotFound",
    "FormSchemaInvalid",
    "FormSpec",
    "ReadonlyField",
    "ValidatorFn",
    "field_shapes",
    "fields",
    "general_errors",
    "label_for",
    "load",
    "plain",
    "readonly_fields",
    "register_context_validator",
    "register_validator",
    "validate",
    "view",
]
