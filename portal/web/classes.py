from flask import Blueprint

bp = Blueprint("classes", __name__, url_prefix="/classes")


@bp.get("/")
def index():
    return "classes"
