"""drivers/files."""
