"""The HTTP layer: routes, schemas, auth, and the mapping of domain errors to status codes."""
