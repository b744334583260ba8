package incident

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"unicode"

	"github.com/firebreak/firebreak/store"
)

// Actor is who did something: the OS user, and the person named with --as on a shared account.
type Actor struct {
	User string // the OS user running firebreak
	As   string // the person named with --as / FIREBREAK_USER, if any
}

// CurrentActor is the OS user, acting as the named person when as is not empty.
func CurrentActor(as string) (Actor, error) {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	if name == "" {
		name = fmt.Sprintf("uid%d", os.Getuid())
	}
	as = strings.TrimSpace(as)
	if strings.ContainsFunc(as, func(r rune) bool { return unicode.IsControl(r) }) || strings.Contains(as, " as ") {
		return Actor{}, store.Errorf(ErrInvalid, "--as %q: a name without control characters", as)
	}
	if as == name {
		as = ""
	}
	return Actor{User: name, As: as}, nil
}

// String is how the timeline records the actor: "root", or "root as alice".
func (a Actor) String() string {
	if a.As == "" {
		return a.User
	}
	return a.User + " as " + a.As
}

// Person is who is responsible: the --as name when given, else the OS user. The two-person rule compares
// people, not accounts.
func (a Actor) Person() string {
	if a.As != "" {
		return a.As
	}
	return a.User
}

// ParseActor reads an actor back from its String form.
func ParseActor(s string) Actor {
	u, as, _ := strings.Cut(s, " as ")
	return Actor{User: u, As: as}
}
