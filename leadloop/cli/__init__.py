"""The command line's doors for a team's lead files: `leadloop import` and `leadloop export`."""
