#!/usr/bin/env python3
# An executable inventory with _meta.hostvars: run once with --list.
import json, sys
if sys.argv[1:] == ["--host", sys.argv[-1]] and len(sys.argv) == 3:
    print("{}")
    sys.exit(0)
inv = {
    "web": {"hosts": ["w1", "w2", "w3"], "vars": {"http_port": 80, "ratio": 1e3}, "children": ["canary"]},
    "db": ["d1", "d2", "w2"],
    "canary": {"hosts": ["w3", "c1"]},
    "prod": {"children": ["web", "db"]},
    "solo": {"ansible_port": 2022},
    "lonely": {"hosts": []},
    "all": {"vars": {"ansible_user": "ops"}},
    "ungrouped": {"hosts": ["u1"]},
    "_meta": {"hostvars": {
        "w1": {"ansible_host": "10.0.0.1", "enabled": True},
        "d2": {"ansible_port": 2200, "tags": ["a", "b"]},
        "c1": {"ansible_connection": "local"},
        "u1": {"ansible_connection": "winrm"},
    }},
}
json.dump(inv, sys.stdout)
