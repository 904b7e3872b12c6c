"""The baseline for bench/webhook.py: a hello-world Flask endpoint, served the same way."""

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/whatsapp")
def hello():
    return {"status": "received"}
