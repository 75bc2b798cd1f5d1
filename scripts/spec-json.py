#!/usr/bin/env python3
"""Converts the Engine API specs in tests/data/spec from YAML to JSON, for tests/spec_coverage.rs.

The specs are published as YAML that strict YAML 1.2 readers refuse (flow mappings closed at
their key's indentation), and PyYAML reads them as moby's own tooling does; the Rust test then
needs only serde_json. Run it after replacing or adding a spec:

    python3 scripts/spec-json.py            # needs python3-yaml (Debian) or PyYAML
"""
import json
import pathlib

import yaml

here = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "spec"
for source in sorted(here.glob("docker-engine-api-v*.yaml")):
    spec = yaml.safe_load(source.read_text())
    target = source.with_suffix(".json")
    # Compact, one key order (the YAML's): a regenerated file differs only where the spec does.
    target.write_text(json.dumps(spec, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{source.name} -> {target.name}")
