from flask import Blueprint

bp = Blueprint("guardians", __name__, url_prefix="/guardians")


@bp.get("/")
def index():
    return "guardians"
