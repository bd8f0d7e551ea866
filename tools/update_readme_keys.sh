#!/usr/bin/env bash
# Regenerates the deck key table of README.md from the schema (`stzkmc keys`); the io suite
# fails until README.md matches. Usage: tools/update_readme_keys.sh [path/to/stzkmc]
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-build/host/stzkmc}
table=$("$exe" keys)
/usr/bin/python3 - "$table" <<'PY'
import sys
path = "README.md"
text = open(path).read()
begin = text.index("\n", text.index("<!-- deck-keys:begin")) + 1
end = text.index("<!-- deck-keys:end")
new = text[:begin] + sys.argv[1] + "\n" + text[end:]
if new == text:
    print("README.md: deck key table already up to date")
else:
    open(path, "w").write(new)
    print("README.md: deck key table updated")
PY
