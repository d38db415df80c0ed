"""A bare Flask "hello" app: the ceiling the web bench compares every page with."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """The smallest useful response."""
    return "Hello"
