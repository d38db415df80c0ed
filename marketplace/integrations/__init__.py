"""In the flow of work: Slack and Teams both ways, and xAPI statements to a learning record store."""
