"""The catalog: items, moments of need, KPIs, checklists and helpfulness."""
