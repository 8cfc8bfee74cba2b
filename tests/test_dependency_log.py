"""What a cached result depends on: files read whole, and files a search only asked questions of (their answers)."""
from __future__ import annotations

import pytest

from bn_lint import runner
from bn_lint.cache import Cache
from bn_lint.config import Settings
from bn_lint.dependency_log import Dependencies, DependencyLog
from bn_lint.text_questions import Answers, names_digest, same_answers, text_names
from tests.test_cache import LAYERS_WITH_HELPER, counted  # noqa: F401 (counted: the fixture of the files checked)


def _codes(tmp_path, settings):
    results = runner.check_files([str(tmp_path / "layers.py")], settings, 1, Cache(tmp_path / "cache", settings))
    return [f.code for f in results[0].findings]


def test_an_edit_that_keeps_a_searched_file_s_answers_keeps_the_cached_result(tmp_path, counted):
    """``notes.py`` is searched for callers of ``conv`` and holds none: editing it otherwise leaves the result
    of ``layers.py`` cached; an edit that makes it call ``conv`` is seen."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "layers.py").write_text(LAYERS_WITH_HELPER)
    (tmp_path / "notes.py").write_text("x = 1\n")
    settings = Settings(root=tmp_path)
    assert _codes(tmp_path, settings) == ["BN204"]  # (a bias before BatchNorm: conv's only caller is this file)
    assert counted == ["layers.py"]

    (tmp_path / "notes.py").write_text("x = 2  # no call of the helper here\n")
    counted.clear()
    assert _codes(tmp_path, settings) == ["BN204"]
    assert counted == []  # (its answers are the same: the result is read from the cache)

    (tmp_path / "notes.py").write_text("from layers import conv\nhead = conv(8, 2)\n")
    counted.clear()
    assert _codes(tmp_path, settings) == []  # (another caller gives conv a bias of its own: no finding)
    assert counted == ["layers.py"]


def test_a_file_a_search_found_and_its_caller_read_is_depended_on_whole(tmp_path):
    log = DependencyLog()
    start, asked, read, found = (str(tmp_path / name) for name in ("a.py", "b.py", "c.py", "e.py"))
    log.search(start, {str(tmp_path)}, [asked, read, found], whole=[found])  # (found: handed over, read whole)
    for path, answer in ((asked, False), (read, True), (found, True)):
        log.ask(path, ("re", "conv\\("), answer)
    log.read_whole(start, read)  # (its caller parsed it)
    log.edges[read] = {str(tmp_path / "d.py")}  # (and what it reads whole comes with it)
    record = log.record(start)
    assert record.files == sorted([str(tmp_path), read, str(tmp_path / "d.py"), found])
    assert record.searched == {asked: [["re", "conv\\(", False]]}


def test_a_question_that_cannot_be_asked_again_reads_the_file_whole():
    log = DependencyLog()
    log.search("/p/a.py", set(), ["/p/b.py"])
    log.ask("/p/b.py", None, True)  # (a pattern that is not ASCII)
    assert log.record("/p/a.py") == Dependencies(["/p/b.py"], {})


@pytest.mark.parametrize(("after", "same"), [
    (b"x = 2\n", True),
    (b"y = conv(1)\n", False),  # the pattern's answer changes
    (b"def helper():\n    pass\n", False),  # the names it defines change
    (b"x = '\xe9'\n", False),  # not UTF-8: its bytes and its text may disagree
])
def test_a_changed_file_is_asked_its_questions_again(after, same):
    before = b"x = 1\n"
    questions = [["re", r"(?<!\w)conv\s*\(", False], ["names", "", names_digest(text_names(before))]]
    assert same_answers(Answers(before), questions)
    assert same_answers(Answers(after), questions) is same


def test_the_cache_asks_a_changed_searched_file_again(tmp_path):
    settings = Settings(root=tmp_path)
    cache = Cache(tmp_path / "cache", settings)
    searched = tmp_path / "notes.py"
    searched.write_text("x = 1\n")
    deps = Dependencies([], {str(searched): [["re", "conv\\(", False]]})
    cache.put("k", [], [], deps)
    searched.write_text("x = 22\n")
    assert Cache(tmp_path / "cache", settings).get("k") == ([], [])
    searched.write_text("x = conv(1)\n")
    assert Cache(tmp_path / "cache", settings).get("k") is None
