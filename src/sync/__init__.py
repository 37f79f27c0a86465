"""Keep a folder or an S3 prefix in sync with a collection, through the HTTP API (so it runs
from any machine that can reach the service, or in its container): `python -m src.sync`."""
