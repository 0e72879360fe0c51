"""The service-metrics dashboard figures (services.metrics), as the staff dashboard shows them."""
from __future__ import annotations

from flask import jsonify, request

from ..metrics import dashboard as metrics
from . import bp
from .tokens import api_user, requires


@bp.get("/metrics")
@requires("read")
def dashboard():
    """?start=&end= (dates), &category=, &channel=community|x, &staff=: staff see their own figures,
    admins everyone's, exactly as on the dashboard page."""
    return jsonify(metrics.dashboard(api_user(), metrics.parse_filters(request.args)))
