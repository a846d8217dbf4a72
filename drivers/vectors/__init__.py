"""drivers/vectors."""
