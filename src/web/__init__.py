"""Documents from the web: fetching a URL without letting it reach what it must not."""
