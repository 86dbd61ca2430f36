"""Accessibility checks run inside Chromium: axe-core (the npm package, installed by
`npm ci --prefix tests/browser`) and two checks of our own that axe reports only as minor
(repeated ids; labels whose `for` names no form control)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.keys(seen).filter(id => seen[id] > 1);
}"""
_DANGLING_LABELS = """() => [...document.querySelectorAll('label[for]')]
  .filter(l => { const t = document.getElementById(l.htmlFor);
                 return !t || !['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(t.tagName); })
  .map(l => l.htmlFor)"""


def problems(page: Any) -> list[str]:
    """Serious and critical axe violations, repeated ids and dangling labels on the page as it
    is laid out now (the viewport decides which media queries apply)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))  # needs a context made with bypass_csp=True
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    found = [f"{v['id']} ({v['impact']}): {v['help']} at "
             f"{', '.join(str(n['target']) for n in v['nodes'][:3])}"
             for v in violations if v["impact"] in BLOCKING]
    found += [f"id repeated: {i}" for i in page.evaluate(_DUPLICATE_IDS)]
    found += [f"label for={i} names no form control" for i in page.evaluate(_DANGLING_LABELS)]
    return found
