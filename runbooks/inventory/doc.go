// Package inventory knows the hosts: it reads Ansible INI inventories exactly as Ansible does, firebreak TOML
// inventories, and ~/.ssh/config for connection details, and it selects hosts with Ansible's host pattern
// language (see Match). Every host it returns is fully resolved: address, port, user, identity files, jump
// hosts and known_hosts files are what OpenSSH would use for the same inventory.
package inventory
