"""Tickets for the WebSocket relay, for clients that prefer not to put a token in a URL."""

from __future__ import annotations

from dataclasses import dataclass

from flask.views import MethodView
from flask_jwt_extended import get_jwt, jwt_required

from schemas.auth import TicketSchema
from webapp.api.base import Blueprint
from webapp.ws.relay import TICKET_TTL_S, issue_ticket

blp = Blueprint("realtime", __name__, url_prefix="/api/ws", description="WebSocket tickets")


@dataclass(frozen=True)
class Ticket:
    """A one-time ticket to open /ws with."""

    ticket: str
    expires_in: int = TICKET_TTL_S


@blp.route("/ticket")
class TicketView(MethodView):
    @jwt_required()
    @blp.response(201, TicketSchema)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self) -> Ticket:
        """Issue a one-time, 30-second ticket to open /ws with (instead of ?token=)."""
        return Ticket(issue_ticket(get_jwt()))
