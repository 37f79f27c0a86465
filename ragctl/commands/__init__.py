"""One module per ragctl command."""
