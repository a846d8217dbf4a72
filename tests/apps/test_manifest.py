"""Manifest validation: every malformed app.toml is refused with the file and the key named."""
from __future__ import annotations

import pytest

from apps import ManifestError, load_manifest
from apps.registry import BUNDLED

GOOD = '''name = "demo"
entry = "main:run"
[permissions]
syscalls = ["llm.chat"]
'''

BAD = [
    ('name = "Demo"\n', "key 'name'"),  # upper case
    ('name = "demo"\nversion = 3\n', "key 'version'"),
    ('name = "demo"\nentry = "main"\n', "key 'entry'"),  # neither prompt nor module:function
    ('name = "demo"\nentry = "missing:run"\n', "module 'missing' not found"),
    ('name = "demo"\nisolation = "vm"\n', "key 'isolation'"),
    ('name = "demo"\npriority = 99\n', "key 'priority'"),
    ('name = "demo"\ncolour = "red"\n', "unknown key 'colour'"),
    ('name = "demo"\n[permissions]\nsyscalls = ["llm.*"]\nnetwork = true\n', "unknown key 'permissions.network'"),
    ('name = "demo"\n[permissions]\nsyscalls = ["llm.*", "teleport.*"]\n', "key 'permissions.syscalls[1]'"),
    ('name = "demo"\n[permissions]\nsyscalls = "llm.*"\n', "key 'permissions.syscalls'"),
    ('name = "demo"\n[budgets]\ntokens = -5\n', "key 'budgets.tokens'"),
    ('name = "demo"\n[budgets]\ntokens = "lots"\n', "key 'budgets.tokens'"),
    ('name = "demo"\n[permissions]\nsyscalls = ["llm.*"]\n[agent]\ntools = ["python"]\n', "key 'agent.tools[0]'"),
    ('name = "demo"\n[permissions]\nsyscalls = ["fs.*"]\n', "needs 'llm.json'"),  # a prompt app that cannot think
    ('name = "demo"\nisolation = "container"\n[permissions]\nsyscalls = ["llm.*"]\n', "key 'isolation'"),
    ('name = "demo"\n[agent]\nmax_steps = 0\n', "key 'agent.max_steps'"),
    ('name = "demo"\ndependencies = [""]\n', "key 'dependencies[0]'"),
    ('name = "demo"\nentry = "main:run"\n[permissions\n', "app.toml"),  # not TOML at all
    ('version = "1"\n', "name"),  # no name
    ('name = "demo"\nentry = "main:run"\nmodel = "Big Engine"\n', "key 'model'"),  # not an engine's name
    ('name = "demo"\nentry = "main:run"\nmodel = 3\n', "key 'model'"),
    ('name = "demo"\nentry = "main:run"\nmin_context = 0\n', "key 'min_context'"),
    ('name = "demo"\nentry = "main:run"\nmin_context = "lots"\n', "key 'min_context'"),
    ('name = "demo"\nentry = "main:run"\nmodel = "big"\nmin_context = 4000\n', "give either 'model'"),
]


@pytest.mark.parametrize("text,needle", BAD, ids=[n for _, n in BAD])
def test_bad_manifest_names_file_and_key(tmp_path, text, needle):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "app.toml").write_text(text)
    (folder / "main.py").write_text("async def run(sys, task):\n    return task\n")
    with pytest.raises(ManifestError) as err:
        load_manifest(folder)
    msg = str(err.value)
    assert str(folder / "app.toml") in msg and needle in msg, msg


def test_no_app_toml(tmp_path):
    with pytest.raises(ManifestError, match="no app.toml"):
        load_manifest(tmp_path)


def test_good_manifest_and_digest(tmp_path):
    (tmp_path / "app.toml").write_text(GOOD)
    (tmp_path / "main.py").write_text("async def run(sys, task):\n    return task\n")
    m = load_manifest(tmp_path)
    assert (m.name, m.entry, m.isolation, m.priority, m.permissions.syscalls) == \
        ("demo", "main:run", "kernel", 20, ["llm.chat"])
    (tmp_path / "app.toml").write_text(GOOD + "\n")
    assert load_manifest(tmp_path).digest != m.digest  # the hash is of the exact file


@pytest.mark.parametrize("name", ["assistant", "manager", "worker", "pal", "coder"])
def test_bundled_apps_are_valid(name):
    m = load_manifest(BUNDLED / name)
    assert m.name == name and m.description


PROMPT = 'name = "demo"\n[permissions]\nsyscalls = ["llm.*", "tool.*"]\ntools = ["clock"]\n[agent]\ntools = ["clock"]\n'
BAD_EXAMPLES = [
    ('[[agent.examples]]\ntask = "hi"\n', "key 'agent.examples[0]': needs 'steps'"),
    ('[[agent.examples]]\nsteps = [{action = {tool = "answer", answer = "x"}}]\n', "needs a non-empty 'task'"),
    ('[[agent.examples]]\ntask = "t"\nanswer = "x"\nsteps = []\n', "unknown key 'answer'"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{tool = "answer", answer = "x"}]\n', "steps[0]"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{action = {tool = "answer"}}]\n', "non-empty 'answer'"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{action = {tool = "clock"}, observation = "9:30"}]\n',
     "the last step must be"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{action = {tool = "clock"}}, {action = {tool = "answer", '
     'answer = "x"}}]\n', "needs the 'observation'"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{action = {tool = "python"}, observation = "1"}, '
     '{action = {tool = "answer", answer = "1"}}]\n', "tool 'python' is not one of agent.tools"),
    ('[[agent.examples]]\ntask = "t"\nsteps = [{action = {tool = "answer", answer = "1"}}, '
     '{action = {tool = "answer", answer = "2"}}]\n', "the answer must be the last step"),
]


@pytest.mark.parametrize("text,needle", BAD_EXAMPLES, ids=[n for _, n in BAD_EXAMPLES])
def test_malformed_examples_are_refused_with_the_format(tmp_path, text, needle):
    (tmp_path / "app.toml").write_text(PROMPT + text)
    with pytest.raises(ManifestError) as err:
        load_manifest(tmp_path)
    assert needle in str(err.value) and "agent.examples[0]" in str(err.value), str(err.value)


def test_well_formed_examples_load(tmp_path):
    (tmp_path / "app.toml").write_text(PROMPT + '[[agent.examples]]\ntask = "What time is it?"\nsteps = [\n'
                                       '  {action = {tool = "clock"}, observation = "09:30"},\n'
                                       '  {action = {tool = "answer", answer = "09:30"}},\n]\n')
    assert len(load_manifest(tmp_path).agent.examples) == 1


@pytest.mark.parametrize("route,needle", [('python = "x"', "'python' is not one of agent.tools"),
                                          ('clock = "(unclosed"', "not a regular expression")])
def test_a_bad_route_is_refused(tmp_path, route, needle):
    (tmp_path / "app.toml").write_text(PROMPT + "[agent.route]\n" + route + "\n")
    with pytest.raises(ManifestError, match="agent.route"):
        load_manifest(tmp_path)
    with pytest.raises(ManifestError, match=needle):
        load_manifest(tmp_path)


def test_an_app_may_ask_for_an_engine_by_name_or_by_context(tmp_path):
    (tmp_path / "main.py").write_text("async def run(sys, task):\n    return task\n")
    (tmp_path / "app.toml").write_text('model = "big"\n' + GOOD)
    m = load_manifest(tmp_path)
    assert (m.model, m.min_context) == ("big", None)
    (tmp_path / "app.toml").write_text('min_context = 32000\n' + GOOD)
    m = load_manifest(tmp_path)
    assert (m.model, m.min_context) == ("", 32000)
    (tmp_path / "app.toml").write_text(GOOD)
    assert (load_manifest(tmp_path).model, load_manifest(tmp_path).min_context) == ("", None)  # the default engine


@pytest.mark.anyio
async def test_an_app_whose_manifest_failed_is_named_with_why_not_as_missing(tmp_path):
    """A typo in an app's app.toml: `llmos run`, `llmos eval` and `apps show` say why it did not load."""
    from apps import AppRegistry
    from drivers.llm import ScriptedEngine
    from kernel import Kernel, KernelConfig
    from syscalls.errors import NotFound
    folder = tmp_path / "apps" / "zed"
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text('name = "zed"\n[agent]\nroute = { x = 1 }\n')
    reg = AppRegistry(installed_dir=tmp_path / "apps")
    assert "zed" not in reg.all()
    assert reg.not_found("zed").startswith("app 'zed' did not load: ") and "agent.route" in reg.not_found("zed")
    assert reg.not_found("nosuch") == "no app named 'nosuch'; `llmos apps` lists the installed ones"
    async with Kernel(KernelConfig(home=str(tmp_path / "home"), subsystems=[]), engine=ScriptedEngine(default="ok"),
                      registry=reg) as k:
        with pytest.raises(NotFound, match=r"app 'zed' did not load: .*agent\.route"):
            await k.spawn("zed", "hi")
