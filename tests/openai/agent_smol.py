"""A smolagents tool-calling agent, unchanged but for reading the endpoint from the environment: run under `llmos exec`."""
import os

from smolagents import OpenAIServerModel, ToolCallingAgent, tool


@tool
def add(a: int, b: int) -> int:
    """Add two whole numbers.

    Args:
        a: the first number
        b: the second number
    """
    print("tool add called with", a, b, flush=True)
    return a + b


model = OpenAIServerModel(model_id="llmos", api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"],
                          client_kwargs={"max_retries": 0}, max_tokens=64)
agent = ToolCallingAgent(tools=[add], model=model, max_steps=3, verbosity_level=0)
print("answer:", agent.run("What is 17 + 25? Use the add tool, then give the final answer."), flush=True)
