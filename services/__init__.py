"""Use cases shared by the API and the dashboard: each is one function both call."""
