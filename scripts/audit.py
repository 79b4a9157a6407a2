"""`make audit`: known vulnerabilities in the locked dependencies (pip-audit, and a fallback).

pip-audit (pinned in requirements-dev.txt) audits each lock exactly as locked (`--disable-pip
--require-hashes`: no resolution, nothing installed) against PyPI's vulnerability data, which it
reads from PyPI's per-release JSON (pypi.org/pypi/NAME/VERSION/json); its other service, OSV
(api.osv.dev), is another host. Where only the package registries are reachable (our machines
and CI), that per-release JSON answers 404, so pip-audit skips every package ("Dependency not
found on PyPI") and still prints "No known vulnerabilities found" with exit status 0.

We never take that silent pass: each package pip-audit skipped is looked up in PyPI's project
JSON (pypi.org/pypi/NAME/json, reachable), whose `vulnerabilities` are those of the project's
latest release. A locked version equal to the latest is audited from it (the same data pip-audit
reads); an older one cannot be audited here and is listed. Exit status: 1 when a known
vulnerability is found either way (or nothing could be audited at all), else 0; `--strict` also
fails on a package left unaudited.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
TIMEOUT_S = 30


@dataclass
class Report:
    """What one lock's audit found."""

    vulnerable: dict[str, list[str]] = field(default_factory=dict)
    audited_by_pip_audit: int = 0
    audited_by_fallback: int = 0
    unaudited: dict[str, str] = field(default_factory=dict)


def locked_versions(lock: Path) -> dict[str, str]:
    """Return {name: version} of a lock file."""
    pattern = r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)"
    return {name.lower(): version for name, version in re.findall(pattern, lock.read_text(), re.M)}


def run_pip_audit(lock: Path) -> list[dict[str, object]]:
    """Return pip-audit's per-dependency results for a lock."""
    command = [str(PIP_AUDIT), "--disable-pip", "--require-hashes", "-r", str(lock)]
    command += ["--format", "json", "--progress-spinner", "off"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # 1: vulnerabilities found, reported in the JSON
        sys.exit(f"audit: pip-audit failed on {lock.name}:\n{result.stderr}")
    dependencies: list[dict[str, object]] = json.loads(result.stdout)["dependencies"]
    return dependencies


def latest_release_vulnerabilities(name: str, version: str) -> list[str] | None:
    """Return the vulnerability ids of `name==version` if it is the latest release, else None."""
    response = requests.get(PROJECT_JSON.format(name=name), timeout=TIMEOUT_S)
    response.raise_for_status()
    project = response.json()
    if project["info"]["version"] != version:
        return None
    vulnerabilities = project.get("vulnerabilities") or []
    return [str(v.get("id")) for v in vulnerabilities if not v.get("withdrawn")]


def audit(lock: Path) -> Report:
    """Audit one lock: pip-audit first, the project JSON for whatever it skipped."""
    report, versions = Report(), locked_versions(lock)
    for dependency in run_pip_audit(lock):
        name = str(dependency["name"]).lower()
        if "skip_reason" not in dependency:
            report.audited_by_pip_audit += 1
            vulns = dependency.get("vulns") or []
            ids = [str(v["id"]) for v in vulns]  # type: ignore[attr-defined,index]
            if ids:
                report.vulnerable[f"{name}=={dependency.get('version')}"] = ids
            continue
        version = versions.get(name, "?")
        found = latest_release_vulnerabilities(name, version)
        if found is None:
            report.unaudited[name] = version
            continue
        report.audited_by_fallback += 1
        if found:
            report.vulnerable[f"{name}=={version}"] = found
    return report


def main() -> None:
    """Audit the locks named on the command line; exit 1 on a known vulnerability."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="+", type=Path)
    parser.add_argument("--strict", action="store_true", help="fail on unaudited packages too")
    args = parser.parse_args()
    failed = False
    for lock in args.locks:
        report = audit(ROOT / lock)
        print(
            f"{lock}: pip-audit audited {report.audited_by_pip_audit}, the PyPI project JSON "
            f"{report.audited_by_fallback} (locked = latest release), "
            f"not audited {len(report.unaudited)}"
        )
        for package, ids in sorted(report.vulnerable.items()):
            print(f"  VULNERABLE {package}: {', '.join(ids)}")
        if report.unaudited:
            listed = ", ".join(f"{n}=={v}" for n, v in sorted(report.unaudited.items()))
            print(f"  not audited (older than the latest release, no per-release data): {listed}")
        audited = report.audited_by_pip_audit + report.audited_by_fallback
        failed |= bool(report.vulnerable) or audited == 0
        failed |= args.strict and bool(report.unaudited)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
