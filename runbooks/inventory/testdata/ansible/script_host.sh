#!/bin/sh
# An executable inventory without _meta: Ansible runs it again with --host NAME for each host.
case "$1" in
--list)
	printf '%s\n' '{"app": {"hosts": ["a1", "a2"], "children": ["cache"]}, "cache": ["k1", "a2"], "all": {"children": ["app"]}, "edge": {"hosts": ["e1"], "vars": {"zone": "z9"}}}'
	;;
--host)
	case "$2" in
	a1) echo '{"ansible_port": 2201, "role": "primary"}' ;;
	k1) echo '{"ansible_connection": "local"}' ;;
	*) echo '{}' ;;
	esac
	;;
*) exit 2 ;;
esac
