"""The docs cannot rot: every runnable block runs, every binary, config and
link they name exists. Convention (docs/index.md, "Runnable blocks"): a
```sh fence preceded by the line <!-- runnable --> is run; the blocks of a
page form one script, with /tmp/tfdisent -> a temporary directory,
model.training_steps -> 10 and the ports localhost:23456, :23457 -> free ones."""

import glob
import os
import re
import subprocess
import sys

import pytest

from tests.subprocess_utils import ROOT, env, free_ports

MARKER = "<!-- runnable -->"
PLACEHOLDER_DIR = "/tmp/tfdisent"
STEPS = re.compile(r"model\.training_steps\s*=\s*\d+")
TEST_STEPS = "model.training_steps = 10"
DOC_PORTS = ("localhost:23456", "localhost:23457")


def pages():
    return sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))
                  + glob.glob(os.path.join(ROOT, "docs", "methods", "*.md")))


def page_name(path):
    return os.path.relpath(path, os.path.join(ROOT, "docs"))


def read(path):
    with open(path) as f:
        return f.read()


def runnable_blocks(text):
    """The bodies of the ```sh fences that follow a MARKER line, in order."""
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```sh":
            raise ValueError("line %d: %s must be followed by a ```sh fence" % (i + 1, MARKER))
        end = lines.index("```", i + 2)
        blocks.append("\n".join(lines[i + 2:end]))
    return blocks


def page_script(text, tmp_dir, ports=()):
    script = STEPS.sub(TEST_STEPS, "\n".join(runnable_blocks(text)))
    for doc_port, port in zip(DOC_PORTS, ports):
        script = script.replace(doc_port, "localhost:%d" % port)
    return script.replace(PLACEHOLDER_DIR, tmp_dir)


RUNNABLE_PAGES = [page_name(p) for p in pages() if runnable_blocks(read(p))]


def test_the_convention_parses():
    text = "a\n%s\n```sh\necho 1\n```\n```sh\necho no\n```\n%s\n```sh\necho 2\n```\n" % (
            MARKER, MARKER)
    assert runnable_blocks(text) == ["echo 1", "echo 2"]
    script = page_script("%s\n```sh\nbin/train --gin_bindings='model.training_steps=500' "
                         "--model_dir=/tmp/tfdisent/m # localhost:23457\n```\n" % MARKER,
                         "/x", ports=(1, 2))
    assert script == ("bin/train --gin_bindings='model.training_steps = 10' --model_dir=/x/m"
                      " # localhost:2")
    with pytest.raises(ValueError, match="followed by a ```sh fence"):
        runnable_blocks("%s\n```python\nprint()\n```\n" % MARKER)
    assert heading_anchors("# A\n## `sprites`: the grid, rendered\n### 8. Metric (`gin/x`)\n") \
        == {"a", "sprites-the-grid-rendered", "8-metric-ginx"}


def test_the_newcomer_pages_have_runnable_blocks():
    assert {"index.md", "distributed.md", "serving.md"} <= set(RUNNABLE_PAGES)


def test_every_runnable_training_command_is_short():
    for page in RUNNABLE_PAGES:
        for block in runnable_blocks(read(os.path.join(ROOT, "docs", page))):
            for command in re.split(r"(?<!\\)\n", block):
                if "bin/train" in command:
                    assert STEPS.search(command), (page, command)


def test_named_binaries_and_configs_exist():
    for path in pages() + [os.path.join(ROOT, "README.md")]:
        text = read(path)
        for name in re.findall(r"(?<![\w./-])bin/(\w+)", text):
            assert os.path.isfile(os.path.join(ROOT, "bin", name)), (page_name(path), name)
        for config in re.findall(r"gin_configs/\w[\w/.-]*?\.gin\b", text):
            assert os.path.isfile(os.path.join(ROOT, config)), (page_name(path), config)


def heading_anchors(text):
    """GitHub's anchors of the Markdown headings of `text`."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.*)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def prose(text):
    """`text` without fenced code blocks and inline code."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M))


def test_relative_links_point_to_pages_and_headings():
    for path in pages():
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(read(path))):
            if re.match(r"[a-z]+:", target):
                continue  # an external address
            file_part, _, anchor = target.partition("#")
            linked = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                if file_part else path
            assert os.path.exists(linked), (page_name(path), target)
            if anchor and linked.endswith(".md"):
                assert anchor in heading_anchors(read(linked)), (page_name(path), target)


def test_index_shows_the_readme_commands():
    readme_commands = re.findall(r"```sh\n(.*?)\n```", read(os.path.join(ROOT, "README.md")),
                                 re.S)[:2]
    index = read(os.path.join(ROOT, "docs", "index.md"))
    for command in readme_commands:
        assert "```sh\n%s\n```" % command in index


@pytest.mark.slow  # trains, evaluates and draws tiny models: about a minute per page
@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_runnable_blocks_run(page, tmp_path):
    script = page_script(read(os.path.join(ROOT, "docs", page)), str(tmp_path),
                         free_ports(len(DOC_PORTS)))
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT,
                          env=env(PATH=path), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, "%s failed:\n%s\n%s" % (
            page, done.stdout[-3000:], done.stderr[-3000:])
