"""Outgoing e-mail: queued as durable jobs with the change that causes it, sent over SMTP by the worker."""
