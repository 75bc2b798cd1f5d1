#!/usr/bin/env python3
"""Write src/see/ui/assets/summaries.json: each Engine API operation's tag and one-line
summary, from the specs in tests/data/spec (the newest spec's words win), for the inspector
page's links to the API reference. Run it again after adding a spec."""
import glob
import json
import os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = {}
specs = sorted(
    glob.glob(os.path.join(root, "tests/data/spec/docker-engine-api-v*.json")),
    key=lambda p: tuple(int(x) for x in p.rsplit("-v", 1)[1][:-5].split(".")),
)
for path in specs:
    spec = json.load(open(path))
    for ops in spec["paths"].values():
        for op in ops.values():
            if isinstance(op, dict) and "operationId" in op:
                tag = (op.get("tags") or [""])[0]
                out[op["operationId"]] = [tag, op.get("summary", "").strip()]
dest = os.path.join(root, "src/see/ui/assets/summaries.json")
with open(dest, "w") as f:
    lines = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(out.items())]
    f.write("{\n" + ",\n".join(lines) + "\n}\n")
print(f"{dest}: {len(out)} operations")
