#!/usr/bin/env python3
"""Turns the shell examples of a markdown file into one bash script.

Shared by scripts/e2e-readme.sh and scripts/e2e-docs.sh (not run by CI on
its own). Every fenced ```sh block becomes a step of the script, in order,
in one bash (later blocks use the variables earlier ones set), under
`set -euo pipefail`; the script prints one line per block:

    ok   FILE block N (line L)
    skip FILE line L: REASON
    FAIL FILE block N (line L): COMMAND      (on stderr, then it stops)

and "BLOCK=" lines the caller counts. A block is skipped when:

  - the line before it (blank lines between allowed) is the marker
    <!-- e2e-docs: skip (REASON) -->, which must give its reason;
  - its info string is not sh (```text for output and diagrams, ```go,
    ```json, …): not a shell example;
  - --skip-regex matches its body (the README's rule: blocks that start a
    server or build).

With --require-info, a block with no info string (a bare ```) is an error
("BADBLOCK=" line, counted as failed): every example says what it is.

A comment
    <!-- e2e-docs: setup
    COMMANDS
    -->
runs COMMANDS at its place: the state a doc assumes its reader has (a
bucket of the README's, a file), invisible in the rendered doc.

--sub FROM=TO replaces FROM by TO in every block (endpoints, placeholders).
"""
import argparse
import re
import shlex
import sys

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?!`)(?P<info>[^`\s]*)[^`\n]*$")  # CommonMark: no ` in the info string
MARKER = re.compile(r"<!--\s*e2e-docs:\s*skip\s*\((?P<reason>.+)\)\s*-->")


def blocks(text):
    """Yields (line, info, body, marker-reason-or-None) for each fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if re.match(r"^\s*<!--\s*e2e-docs:\s*setup\s*$", lines[i]):
            start, body = i, []
            i += 1
            while i < len(lines) and lines[i].strip() != "-->":
                body.append(lines[i])
                i += 1
            i += 1
            yield start + 1, "setup", "\n".join(body) + "\n", None
            continue
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent, info = i, m.group("indent"), m.group("info")
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^[ \t]*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        j = start - 1
        while j >= 0 and lines[j].strip() == "":
            j -= 1
        mk = MARKER.search(lines[j]) if j >= 0 else None
        if j >= 0 and "e2e-docs" in lines[j] and not mk:
            raise SystemExit(f"line {j + 1}: an e2e-docs marker must read <!-- e2e-docs: skip (reason) -->")
        yield start + 1, info, "\n".join(body) + "\n", (mk.group("reason").strip() if mk else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--name", help="the file's name in the output (default: as given)")
    ap.add_argument("--skip-regex", help="skip blocks whose body matches (multiline)")
    ap.add_argument("--skip-reason", default="skipped")
    ap.add_argument("--require-info", action="store_true")
    ap.add_argument("--sub", action="append", default=[], metavar="FROM=TO")
    ap.add_argument("--prelude", help="a file of bash the script starts with (after set -euo pipefail)")
    a = ap.parse_args()
    name = a.name or a.file
    text = open(a.file).read()
    skip_re = re.compile(a.skip_regex, re.M) if a.skip_regex else None
    subs = [s.split("=", 1) for s in a.sub]

    q = shlex.quote
    out = ["set -euo pipefail"]
    if a.prelude:
        out.append(open(a.prelude).read().rstrip("\n"))
    out.append(f"trap 'echo \"FAIL {name} block $BLOCK (line $BLOCK_LINE): $BASH_COMMAND\" >&2' ERR")
    n = 0
    for line, info, body, reason in blocks(text):
        if info == "setup":
            for frm, to in subs:
                body = body.replace(frm, to)
            out.append(f"BLOCK=setup BLOCK_LINE={line}")
            out.append(body.rstrip("\n"))
            out.append(f"echo {q(f'setup {name} line {line}')}")
            continue
        if info == "":
            if a.require_info:  # reported first, whatever the blocks do
                out.insert(1, f"echo {q(f'FAIL {name} line {line}: a code block without an info string (```sh to run it, ```text for output)')}")
                out.insert(1, f"BADBLOCK={line}")
            continue
        if info not in ("sh", "bash", "shell"):
            out.append(f"echo {q(f'skip {name} line {line}: ```{info}, not a shell example')}")
            continue
        if reason is None and skip_re and skip_re.search(body):
            reason = a.skip_reason
        if reason is not None:
            out.append(f"echo {q(f'skip {name} line {line}: {reason}')}")
            continue
        n += 1
        for frm, to in subs:
            body = body.replace(frm, to)
        out.append(f"BLOCK={n} BLOCK_LINE={line}")
        out.append(f"echo {q(f'== {name} block {n} (line {line})')}")
        out.append(body.rstrip("\n"))
        out.append(f"echo {q(f'ok   {name} block {n} (line {line})')}")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
