"""Run the Ralph LRS for the tests: `python tests/ralph_server.py PORT` from .lrs-venv.

Ralph's filesystem backend (the only one that needs no database server) writes each batch
with "create", so a second batch into the same file is refused. The test LRS appends instead;
everything else (the xAPI HTTP API, statement validation, duplicate-id checks) is Ralph's own.
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
