"""drivers/tools."""
