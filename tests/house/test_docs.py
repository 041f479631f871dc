"""The design of record lives in docs/ (ARCHITECTURE.md, API.md, DOMAIN.md);
code and pages cite it by link to a stable anchor, and a citation that points
nowhere fails here."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TEXT = ("*.py", "*.md", "*.yaml", "*.yml", "*.sh", "Makefile", "Dockerfile", "*.cfg", "*.toml")
SKIP = {".git", ".venv", "node_modules", "mutants", "logs", "var"}

CITATION = re.compile(r"docs/([A-Za-z_]+\.md)(?:#([A-Za-z0-9_-]+))?")
BARE_DOC = re.compile(r"(?<![/\w\[])(ARCHITECTURE|API|DOMAIN)\.md(?!\]\()")
BARE_RULE = re.compile(r"(?<![-#\w])(?:ARCHITECTURE )?rule (\d+)\b")
MD_LINK = re.compile(r"\]\(([^)#\s]*\.md)?(?:#([A-Za-z0-9_-]+))?\)")


def repository_files():
    for pattern in TEXT:
        for path in ROOT.rglob(pattern):
            if not SKIP & set(path.relative_to(ROOT).parts):
                yield path


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path):
    text = path.read_text()
    found = set(re.findall(r'<a id="([^"]+)"></a>', text))
    found |= {slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    return found


def test_the_design_documents_are_in_the_repository():
    for name in ("ARCHITECTURE.md", "API.md", "DOMAIN.md"):
        assert (DOCS / name).is_file(), name
    assert {f"rule-{n}" for n in range(1, 11)} <= anchors(DOCS / "ARCHITECTURE.md")


def test_every_citation_of_the_design_points_somewhere():
    broken = []
    for path in repository_files():
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            for name, anchor in CITATION.findall(line):
                target = DOCS / name
                if not target.is_file() or (anchor and anchor not in anchors(target)):
                    broken.append(f"{path.relative_to(ROOT)}:{n}: docs/{name}#{anchor}")
    assert broken == []


def test_links_between_the_pages_resolve():
    broken = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for name, anchor in MD_LINK.findall(page.read_text()):
            if name.startswith("http"):
                continue
            target = (page.parent / name) if name else page
            if not target.is_file() or (anchor and anchor not in anchors(target)):
                broken.append(f"{page.relative_to(ROOT)}: {name}#{anchor}")
    assert broken == []


def test_nothing_cites_the_design_outside_the_repository_or_without_a_link():
    loose = []
    for path in repository_files():
        if path.parent == DOCS or path == pathlib.Path(__file__):
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "../shared" in line or BARE_DOC.search(line) or BARE_RULE.search(line):
                loose.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert loose == [], "cite the design by a link: docs/ARCHITECTURE.md, then #rule- and its number"
