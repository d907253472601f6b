"""Rule tables read from data/<county>/rules/: one module per table."""
