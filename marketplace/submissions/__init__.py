"""Quick Learn uploads, screening and the champions' review queues."""
