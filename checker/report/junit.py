"""JUnit XML: one test suite per endpoint, one test case per finding; findings at or above
``fail_on`` are failures, so CI dashboards show them."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from checker.report.common import detail_text, where
from specs.findings import Finding


def render(findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    root = ET.Element("testsuites", name=title)
    suites: dict[tuple[str, str], ET.Element] = {}
    failures: dict[tuple[str, str], int] = {}
    for f in findings:
        key = (f.method, f.path)
        suite = suites.get(key)
        if suite is None:
            suite = suites[key] = ET.SubElement(root, "testsuite", name=f"{f.method} {f.path}".strip())
            failures[key] = 0
        case = ET.SubElement(suite, "testcase", classname=f"{f.method} {f.path}".strip(), name=f"{where(f)} {f.kind}")
        text = f.extra.get("message") or detail_text(f)
        if fail_on != "none" and f.at_least(fail_on):  # type: ignore[arg-type]
            failures[key] += 1
            fail = ET.SubElement(case, "failure", type=f.severity, message=text)
            fail.text = f"{f.severity} {f.hazard or ''} {f.source}: {text}"
        else:
            ET.SubElement(case, "system-out").text = f"{f.severity} {f.hazard or ''}: {text}"
    total = 0
    for key, suite in suites.items():
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(failures[key]))
        total += failures[key]
    root.set("tests", str(len(findings)))
    root.set("failures", str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
