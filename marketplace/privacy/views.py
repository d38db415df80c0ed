"""Your data: export and erasure requests (stub)."""
from flask import Blueprint
bp = Blueprint("privacy", __name__)
