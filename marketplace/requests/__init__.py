"""Action-mapping requests: demand anchored in performance, triaged on one board."""
