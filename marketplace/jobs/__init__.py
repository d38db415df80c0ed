"""The one job runner: huey for transport, durable job runs in the database.

Features put their work in `marketplace/<feature>/tasks.py`:

    from marketplace import jobs

    @jobs.durable("media.process")            # a run row is written with the caller's transaction
    def process_media(submission_id: int): ...

    jobs.submit("media.process", {"submission_id": 7}, subject="submission:7")

    @jobs.periodic(jobs.crontab(minute="*/5"))  # housekeeping, once at a time across machines
    def archive_due_spaces(): ...
"""

from huey import crontab  # noqa: F401  (re-exported for feature tasks)

from marketplace.jobs.models import JobRun, JobState  # noqa: F401
from marketplace.jobs.runner import configure, durable, huey, on_failure, periodic, task  # noqa: F401
from marketplace.jobs.services import GiveUp, RetryLater, failed_runs, retry_run, run_for, submit  # noqa: F401
