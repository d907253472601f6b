"""Command-line interface: argument parsing and printing only; every command is one library call."""
