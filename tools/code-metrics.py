#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the project's C and `unsafe` are: the numbers of the Rust-native layout.

Counts, over the module sources (src/ and include/, not tools/ or selftests/):

- C: raw lines and code lines (comments and blank lines removed) per file;
- Rust outside the pure cores (the IOAS core and smmu_rs's lpae/ and spec/,
  which forbid unsafe): code lines, `unsafe {` blocks, `unsafe fn`,
  `unsafe impl`, every `unsafe` keyword, hand-written FFI prototypes (`fn`
  inside `extern "C" {}`), `#[no_mangle]` entries, `extern "C" fn`
  definitions, and blocks per thousand code lines;
- layouts mirrored between C and Rust: C `static_assert(sizeof/offsetof)`
  against a struct Rust also defines, and Rust `const _: () = assert!` over
  `size_of`/`offset_of`.

Comments, doc comments and string literals are stripped before counting, so
a word in a comment counts nothing. Usage: tools/code-metrics.py [ROOT]
"""

import os
import re
import sys

PURE = ("src/iova_space/", "src/smmu/lpae/", "src/smmu/spec/")


def strip_rust(text):
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == '"' or (c == "r" and re.match(r'r#*"', text[i:i + 8]) and
                          (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))):
            if c == "r":
                m = re.match(r'r(#*)"', text[i:])
                end = '"' + m.group(1)
                j = text.find(end, i + len(m.group(0)))
                j = n if j < 0 else j + len(end)
            else:
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                j += 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_c(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def code_lines(text):
    return sum(1 for line in text.splitlines() if line.strip())


def ffi_prototypes(code):
    count = 0
    for m in re.finditer(r'extern\s+"C"\s*\{', code):
        depth, i = 1, m.end()
        start = i
        while i < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        count += len(re.findall(r"\bfn\s+\w+", code[start:i]))
    return count


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = []
    for top in ("src", "include", "Kbuild"):
        p = os.path.join(root, top)
        if os.path.isfile(p):
            continue
        for d, _, names in os.walk(p):
            files += [os.path.relpath(os.path.join(d, f), root) for f in names]
    files.sort()

    c_raw = c_code = 0
    print("## C (raw / code lines)")
    for f in files:
        if not f.endswith((".c", ".h")) or f.startswith("include/uapi/"):
            continue
        text = open(os.path.join(root, f)).read()
        raw, code = text.count("\n"), code_lines(strip_c(text))
        c_raw, c_code = c_raw + raw, c_code + code
        print(f"{f:44} {raw:5} {code:5}")
    print(f"{'total':44} {c_raw:5} {c_code:5}\n")

    cols = ("loc", "blocks", "ufn", "uimpl", "unsafe", "ffi", "nomangle", "externfn")
    tot = dict.fromkeys(cols, 0)
    mirrored = 0
    print("## Rust outside the pure cores")
    print(f"{'file':44} " + " ".join(f"{c:>8}" for c in cols) + "  blocks/kloc")
    for f in files:
        if not f.endswith(".rs") or f.startswith(PURE):
            continue
        code = strip_rust(open(os.path.join(root, f)).read())
        row = {
            "loc": code_lines(code),
            "blocks": len(re.findall(r"\bunsafe\s*\{", code)),
            "ufn": len(re.findall(r"\bunsafe\s+(extern\s+\"C\"\s+)?fn\b", code.replace('""', '"C"'))),
            "uimpl": len(re.findall(r"\bunsafe\s+impl\b", code)),
            "unsafe": len(re.findall(r"\bunsafe\b", code)),
            "ffi": ffi_prototypes(code.replace('extern ""', 'extern "C"')),
            "nomangle": len(re.findall(r"#\[\s*(unsafe\s*\(\s*)?no_mangle", code)),
            "externfn": len(re.findall(r'extern\s+""\s+fn\s+\w+', code)),
        }
        for c in cols:
            tot[c] += row[c]
        density = 1000.0 * row["blocks"] / row["loc"] if row["loc"] else 0.0
        print(f"{f:44} " + " ".join(f"{row[c]:8}" for c in cols) + f"  {density:6.1f}")
    density = 1000.0 * tot["blocks"] / tot["loc"] if tot["loc"] else 0.0
    print(f"{'total':44} " + " ".join(f"{tot[c]:8}" for c in cols) + f"  {density:6.1f}\n")

    for f in files:
        path = os.path.join(root, f)
        if f.endswith((".c", ".h")) and not f.startswith("include/uapi/"):
            mirrored += len(re.findall(r"static_assert\s*\(\s*(sizeof|offsetof)", strip_c(open(path).read())))
        elif f.endswith(".rs") and not f.startswith(PURE):
            mirrored += len(re.findall(r"assert!\s*\(\s*(core::mem::|mem::)?(size_of|offset_of)",
                                       strip_rust(open(path).read())))
    print(f"layout asserts across the language boundary: {mirrored}")


if __name__ == "__main__":
    main()
