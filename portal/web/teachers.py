from flask import Blueprint

bp = Blueprint("teachers", __name__, url_prefix="/teachers")


@bp.get("/")
def index():
    return "teachers"
