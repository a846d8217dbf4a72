"""drivers/browser."""
