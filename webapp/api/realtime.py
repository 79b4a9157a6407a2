"""Tickets for the WebSocket relay, for clients that prefer not to put a token in a URL."""

from __future__ import annotations

from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required
from marshmallow import Schema, fields

from webapp.api.base import Blueprint
from webapp.ws.relay import TICKET_TTL_S, issue_ticket

blp = Blueprint("realtime", __name__, url_prefix="/api/ws", description="WebSocket tickets")


class TicketSchema(Schema):
    ticket = fields.String(metadata={"description": "use as /ws?ticket=..."})
    expires_in = fields.Integer(metadata={"description": "seconds; single use"})


@blp.route("/ticket")
class Ticket(MethodView):
    @jwt_required()
    @blp.response(201, TicketSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> dict[str, object]:
        """Issue a one-time, 30-second ticket to open /ws with (instead of ?token=)."""
        return {"ticket": issue_ticket(get_jwt()), "expires_in": TICKET_TTL_S}
