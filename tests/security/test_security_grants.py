"""A child never reaches what its parent cannot: grants are intersected on each request, never compared as text;
and the glob semantics of file grants (``*`` within a component, ``**`` for depth, dots not special, ``!``)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.manifest import Permissions
from drivers.browser import Allowlist
from kernel.browser.sysbrowser import grants as browser_grants
from kernel.browser.sysbrowser import within
from kernel.memory.grants import Grants
from kernel.proc.process import Process
from kernel.proc.runner import lineage
from kernel.syscall.grantglob import allowed, name_match, path_match
from kernel.syscall.perm import path_granted, spawn_granted, syscall_granted, tool_granted

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COMP = st.sampled_from(["a", "b", "ab", ".a", "a.b", "x"])
PAT_COMP = st.sampled_from(["a", "b", "*", "?", "**", ".a", "a*", "*b", "[ab]", "??"])
PATHS = st.lists(COMP, min_size=1, max_size=4).map("/".join)
FILE_PATS = st.builds(lambda neg, comps: ("!" if neg else "") + "/".join(comps),
                      st.booleans(), st.lists(PAT_COMP, min_size=1, max_size=3))
NAMES = st.sampled_from(["llm.chat", "llm.json", "fs.read", "fs.write", "proc.spawn", "tool.call", "calculator",
                         "clock", "python", "mcp.git.log", "worker", "manager", "user:ann", "app:x"])
NAME_PATS = st.builds(lambda neg, p: ("!" if neg else "") + p, st.booleans(),
                      st.sampled_from(["*", "?", "llm.*", "fs.*", "*.*", "fs.read", "llm.chat", "c*", "calculator",
                                       "mcp.*", "mcp.git.*", "w*", "worker", "user:*", "app:?", "?*"]))
FIELDS = ("syscalls", "tools", "spawn")


def perms(files=(), names=()):
    return Permissions(syscalls=list(names), tools=list(names), spawn=list(names), files=list(files))


def family(*sets: Permissions) -> Process:
    """A chain of processes, the first set the eldest's; the last process is returned."""
    proc = Process(1, 0, "app0", "", permissions=sets[0])
    for i, s in enumerate(sets[1:], start=2):
        proc = Process(i, i - 1, f"app{i}", "", permissions=s, lineage=lineage(proc, f"app{i}", None))
    return proc


# -- the class of the finding: text comparison let a child keep a broader glob --------------------
def test_a_single_character_parent_does_not_grant_a_star_child():
    child = family(perms(files=["?"]), perms(files=["*"]))
    assert path_granted(child, "a")
    assert not path_granted(child, "ab")  # the parent cannot reach it: neither can the child


def test_a_parents_negation_binds_its_children():
    child = family(perms(files=["**", "!downloads/**"], names=["*", "!fs.delete"]), perms(files=["**"], names=["*"]))
    assert path_granted(child, "notes/a") and not path_granted(child, "downloads/x")
    assert syscall_granted(child, "fs.read") and not syscall_granted(child, "fs.delete")


def test_a_grandparent_limits_every_generation():
    leaf = family(perms(names=["llm.*"]), perms(names=["*"]), perms(names=["*"]))
    assert syscall_granted(leaf, "llm.chat") and not syscall_granted(leaf, "fs.write")


def test_what_the_parent_asks_at_spawn_narrows_further():
    parent = Process(1, 0, "p", "", permissions=perms(names=["*"]))
    child = Process(2, 1, "c", "", permissions=perms(names=["*"]), lineage=lineage(parent, "c", ["fs.*"]))
    assert syscall_granted(child, "fs.read") and not syscall_granted(child, "llm.chat")


def test_downloads_and_origins_need_every_ancestor():
    parent = Process(1, 0, "p", "", permissions=Permissions(browser=["a.org"]))
    child = Process(2, 1, "c", "", permissions=Permissions(browser=["*", "!downloads"]),
                    lineage=lineage(parent, "c", None))
    allow, downloads = browser_grants(child)
    assert not downloads
    guard = Allowlist(allow, within=within(child))
    assert guard.allows_url("https://a.org/x") and not guard.allows_url("https://b.org/")
    assert not guard.allows_socket("b.org", 443)


def test_memory_collections_need_every_ancestor():
    g = Grants(["*"], app="c", user="ann", own="proc:k:2", above=[("p", ["user:*"])])
    assert g.allows("user:ann") and not g.allows("app:c") and g.allows("proc:k:2")
    g = Grants(["*"], app="c", user="ann", own="proc:k:2", above=[("p", ["*", "!user:{user}"])])
    assert not g.allows("user:ann") and g.allows("app:other")


# -- properties: a child never reaches what any ancestor cannot, and reaches all they all can ------
@PROPS
@given(st.lists(st.lists(FILE_PATS, max_size=4), min_size=2, max_size=3), PATHS)
def test_property_file_grants_are_the_intersection(chain, path):
    leaf = family(*[perms(files=f) for f in chain])
    expect = all(allowed(f, path, path_match) for f in chain)
    assert path_granted(leaf, path) == expect


@PROPS
@given(st.lists(st.lists(NAME_PATS, max_size=4), min_size=2, max_size=3), NAMES)
def test_property_name_grants_are_the_intersection(chain, name):
    leaf = family(*[perms(names=n) for n in chain])
    expect = all(allowed(n, name, name_match) for n in chain)
    for check in (syscall_granted, tool_granted, spawn_granted):
        assert check(leaf, name) == expect
        if check(leaf, name):
            assert all(allowed(n, name) for n in chain[:-1])  # never beyond a parent


@PROPS
@given(st.lists(NAME_PATS, max_size=4), st.lists(NAME_PATS, max_size=4), NAMES)
def test_property_memory_grants_are_the_intersection(parent, child, name):
    g = Grants(child, app="c", user="ann", own="proc:k:2", above=[("p", parent)])
    assert g.allows(name) == (allowed(parent, name) and allowed(child, name))


@PROPS
@given(st.lists(st.sampled_from(["a.org", "*.a.org", "b.org", "127.0.0.1:*", "*"]), max_size=3),
       st.lists(st.sampled_from(["a.org", "*.a.org", "b.org", "127.0.0.1:*", "*"]), max_size=3),
       st.sampled_from(["https://a.org/", "https://x.a.org/", "http://b.org/", "http://127.0.0.1:8000/"]))
def test_property_origins_are_the_intersection(parent, child, url):
    guard = Allowlist(child, within=[parent])
    assert guard.allows_url(url) == (Allowlist(parent).allows_url(url) and Allowlist(child).allows_url(url))


# -- glob semantics -----------------------------------------------------------------------------
@pytest.mark.parametrize("pattern,path,ok", [
    ("notes/*", "notes/x", True),
    ("notes/*", ".notes/x", False),      # a leading dot is an ordinary character, never stripped
    ("notes/*", "./notes/x", True),      # "./" is the workspace itself
    ("notes/*", "notes/a/b", False),     # * stays in one component
    ("*", "a/b", False),
    ("*", ".env", True),                 # and matches names that start with a dot
    ("?", "ab", False),
    ("notes/**", "notes/a/b/c", True),   # ** is any depth
    ("notes/**", "notes", True),         # ... including none
    ("**/*.txt", "a/b/c.txt", True),
    ("**/*.txt", "c.txt", True),
    ("**/*.txt", "a/b/c.md", False),
    ("a/**/z", "a/z", True),
    ("a/**/z", "a/b/c/z", True),
    ("**", "anything/at/all", True),
    ("out/*", "out/../secret", False),   # normalised before matching
    ("*", "/etc/passwd", False),         # not a workspace path
    ("**", "../x", False),
])
def test_path_glob_semantics(pattern, path, ok):
    assert path_match(path, pattern) is ok


def test_negation_takes_away():
    assert allowed(["**", "!secret/**"], "notes/a", path_match)
    assert not allowed(["**", "!secret/**"], "secret/a/b", path_match)
    assert not allowed(["!secret"], "notes", path_match)  # a negation alone grants nothing


@PROPS
@given(st.lists(PAT_COMP.filter(lambda c: c != "**"), min_size=1, max_size=3), PATHS)
def test_property_single_stars_never_cross_a_slash(comps, path):
    if path_match(path, "/".join(comps)):
        assert len(path.split("/")) == len(comps)


@PROPS
@given(st.lists(COMP, min_size=1, max_size=3), st.lists(COMP, max_size=3))
def test_property_double_star_reaches_any_depth(head, tail):
    assert path_match("/".join(head + tail), "/".join(head) + "/**")


# -- through the kernel: spawn as apps do it ------------------------------------------------------
PROBE = """
import json
from syscalls.errors import PermissionDenied
async def run(sys, task):
    out = {}
    for path in json.loads(task):
        try:
            await sys.fs.write(path, "x")
            out[path] = "ok"
        except PermissionDenied:
            out[path] = "denied"
    return json.dumps(out)
"""


@pytest.mark.anyio
async def test_spawned_child_stays_within_the_parents_files(kernel_factory, make_app):
    make_app("kid", code=PROBE, syscalls=["fs.*", "proc.exit"], files=["*", "secret"])
    make_app("mom", syscalls=["fs.*", "proc.*"], files=["?", "!s"], code="""
import json
async def run(sys, task):
    pid = await sys.proc.spawn("kid", json.dumps(["a", "ab", "s", "secret", "b/c"]))
    return (await sys.proc.wait(pid)).result
""")
    async with kernel_factory() as k:
        p = await k.wait(await k.spawn("mom"), 10)
        result = json.loads(p.result)
    assert result == {"a": "ok", "ab": "denied", "s": "denied", "secret": "denied", "b/c": "denied"}


def test_a_refusal_names_the_set_that_refuses():
    from kernel.syscall.perm import refusal
    child = family(perms(files=["?"]), perms(files=["*"]))
    child.app = "kid"
    assert "a process above it (app 'app0')" in refusal(child, "files", "ab", "files matching 'ab'", path_match)
    assert "add it to [permissions] files" in refusal(child, "files", "a/b", "files matching 'a/b'", path_match)
    assert refusal(child, "files", "a", "files matching 'a'", path_match) == ""
