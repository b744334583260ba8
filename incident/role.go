package incident

import (
	"strings"

	"github.com/firebreak/firebreak/store"
)

// Role is a responsibility in an incident. One person holds each; a person may hold several.
type Role string

// The roles.
const (
	Commander      Role = "commander"
	Communications Role = "communications"
	Operations     Role = "operations"
	Scribe         Role = "scribe"
)

// Roles lists every role.
var Roles = []Role{Commander, Communications, Operations, Scribe}

// ParseRole accepts a role name, case-insensitively, and the short forms ic, comms, ops.
func ParseRole(s string) (Role, error) {
	switch r := strings.ToLower(strings.TrimSpace(s)); r {
	case "ic", "incident-commander":
		return Commander, nil
	case "comms":
		return Communications, nil
	case "ops":
		return Operations, nil
	default:
		for _, role := range Roles {
			if string(role) == r {
				return role, nil
			}
		}
	}
	return "", store.Errorf(ErrInvalid, "role %q: use commander, communications, operations or scribe", s)
}
