"""Flask commands: `flask demo`, `flask school add`, `flask roster import`, ..."""


def init_app(app):
    pass
