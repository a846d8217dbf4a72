"""The built-in agent loop for prompt apps: think, act, observe under a JSON schema, with plans and step guards."""
