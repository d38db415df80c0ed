"""Impact: KPI readings, rollups of learning events, scorecards and the knowledge-flow network."""
