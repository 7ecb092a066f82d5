"""LICENSE and CITATION.cff: present, well formed, and in step with the build's version."""

import pathlib
import re

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
# Debian's base-files ships the Apache License 2.0 verbatim.
APACHE = pathlib.Path("/usr/share/common-licenses/Apache-2.0")
COPYRIGHT = "Copyright 2026 The missionsim authors"
# Top-level keys of the Citation File Format 1.2.0 (its schema.json), and those it requires.
CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
            "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
            "repository-artifact", "repository-code", "title", "type", "url", "version"}
CFF_REQUIRED = {"authors", "cff-version", "message", "title"}


def cmake_version():
    m = re.search(r"project\(missionsim\s+VERSION\s+(\d+\.\d+\.\d+)", (REPO / "CMakeLists.txt").read_text())
    assert m, "no project(missionsim VERSION x.y.z) in CMakeLists.txt"
    return m.group(1)


def test_license_is_the_apache_license_with_the_projects_copyright():
    text = (REPO / "LICENSE").read_text()
    first, blank, rest = text.split("\n", 2)
    assert first == COPYRIGHT and blank == ""
    assert rest == APACHE.read_text(), "LICENSE is not the verbatim Apache License 2.0 after the copyright line"


def test_citation_cff_is_valid_1_2_0_and_matches_the_build():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert isinstance(cff, dict)
    assert CFF_REQUIRED <= set(cff), CFF_REQUIRED - set(cff)
    assert set(cff) <= CFF_KEYS, set(cff) - CFF_KEYS
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] in ("software", "dataset")
    assert cff["version"] == cmake_version(), "CITATION.cff version differs from CMakeLists.txt"
    assert cff["license"] == "Apache-2.0"
    assert cff["authors"] == [{"name": "The missionsim authors"}]
    for key in ("title", "message", "abstract"):
        assert isinstance(cff[key], str) and cff[key].strip(), key
    assert all(isinstance(k, str) and k for k in cff.get("keywords", []))


def test_readme_names_the_license_and_how_to_cite():
    readme = (REPO / "README.md").read_text()
    assert "[LICENSE](LICENSE)" in readme and "Apache" in readme
    assert "[CITATION.cff](CITATION.cff)" in readme
