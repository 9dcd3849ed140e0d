"""The scheduled jobs' command line: `epoch-jobs <job>` runs one job once."""
