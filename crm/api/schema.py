"""OpenAPI generation: every operation documents the JSON error answers of DESIGN §8.3."""

from drf_spectacular.openapi import AutoSchema

ERROR_SCHEMA = {
    "type": "object",
    "description": '{"detail": message} or {field: [messages]}',
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input; the fields are named.",
    "401": "Not signed in.",
    "403": "Not allowed for your role.",
    "404": "Not found or outside your scope.",
    "409": "Conflict with the current state of the record.",
    "429": "Too many requests.",
}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class CrmAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code == "409" and self.method in READ_METHODS:
                continue
            responses.setdefault(
                code, {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
            )
        return responses
