#!/usr/bin/env python3
"""Checks the rules of docs/architecture.md on the source tree; exit 1 naming what breaks one.

- Floors: a module (folder of src/) includes headers of its own folder or of modules on the
  floors below it, never above (`layer` stands beside and includes only family_spec.h
  of its own; graph and device may include that one file).
- No cycle among source files: no .c file calls a function defined in another .c file that,
  directly or through others, calls back into it (found from the text: comments and strings
  stripped, calls matched by name to the non-static vkg* functions each file defines).
- No source file in src/ over 1,000 lines.
- Every module folder has a README.md.
Usage: check-architecture.py [REPOSITORY_ROOT]
"""
import glob
import os
import re
import sys

FLOORS = {"util": 0, "graph": 1, "device": 2, "async": 3, "exec": 4, "upload": 5,
          "bindless": 5, "run": 6, "demo": 6, "cli": 7}
BESIDE = {"layer"}  # its own shared object; family_spec.h is shared with graph and device
MAX_LINES = 1000


def strip(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def include_errors(root):
    errors = []
    for path in sorted(glob.glob(os.path.join(root, "src/*/*.[ch]"))):
        module = os.path.basename(os.path.dirname(path))
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not m or "/" not in m.group(1):
                continue
            target = m.group(1).replace("../", "").split("/")[0]
            if target in (module, "shaders"):
                continue
            rel = os.path.relpath(path, root)
            if target in BESIDE:
                if not m.group(1).endswith("family_spec.h") or module not in ("graph", "device"):
                    errors.append(f"{rel}:{n}: includes {m.group(1)}: only graph and device may "
                                  "include layer/family_spec.h")
                continue
            if module in BESIDE or target not in FLOORS or module not in FLOORS:
                errors.append(f"{rel}:{n}: includes {m.group(1)} across the layer boundary")
            elif FLOORS[target] >= FLOORS[module]:
                errors.append(f"{rel}:{n}: module {module} (floor {FLOORS[module]}) includes "
                              f"{m.group(1)} of module {target} (floor {FLOORS[target]}): "
                              "only lower floors")
    return errors


def cycle_errors(root):
    files = sorted(glob.glob(os.path.join(root, "src/*/*.c")))
    text = {f: strip(open(f, encoding="utf-8").read()) for f in files}
    defined = {}
    for f in files:
        for m in re.finditer(r"^(?!static)[A-Za-z_][\w \*]*?\b(vkg\w*)\s*\([^;{]*?\)\s*\{",
                             text[f], flags=re.M | re.S):
            defined.setdefault(m.group(1), f)
    edges = {f: set() for f in files}
    for f in files:
        for m in re.finditer(r"\b(vkg\w*)\s*\(", text[f]):
            t = defined.get(m.group(1))
            if t and t != f:
                edges[f].add(t)
    # Tarjan's strongly connected components, iteratively
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    for start in files:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    comps.append(sorted(os.path.relpath(c, root) for c in comp))
    return [f"files calling each other in a cycle: {', '.join(c)}" for c in comps]


def size_errors(root):
    errors = []
    for path in sorted(glob.glob(os.path.join(root, "src/*/*.[ch]"))):
        n = sum(1 for _ in open(path, encoding="utf-8"))
        if n > MAX_LINES:
            errors.append(f"{os.path.relpath(path, root)}: {n} lines (at most {MAX_LINES}): split "
                          "it along its concepts")
    return errors


def readme_errors(root):
    return [f"src/{d}: no README.md saying what the module is"
            for d in sorted(os.listdir(os.path.join(root, "src")))
            if os.path.isdir(os.path.join(root, "src", d))
            and not os.path.exists(os.path.join(root, "src", d, "README.md"))]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    errors = include_errors(root) + cycle_errors(root) + size_errors(root) + readme_errors(root)
    for e in errors:
        print(f"check-architecture: {e}")
    files = len(glob.glob(os.path.join(root, "src/*/*.[ch]")))
    print(f"architecture: {'ok' if not errors else 'BROKEN'} ({files} files in src/, "
          f"{len(errors)} problem{'s' if len(errors) != 1 else ''})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
