package incident

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firebreak/firebreak/store"
)

// Actor is who did something: the OS user, and the person named with --as on a shared account; or, in a
// session served over SSH (firebreak serve), the key that proved who they are and the person it belongs to.
type Actor struct {
	User string // the OS user running firebreak, from the uid; or "key SHA256:..." (see KeyActor)
	As   string // the person named with --as / FIREBREAK_USER, if any; or the key's person
}

// keyAccount begins the account of an actor proven by an SSH key. An OS account name never contains a space
// (accountName refuses one), so no OS user can be mistaken for a key.
const keyAccount = "key "

// KeyActor is the person proven by an SSH key in a served session: the key's fingerprint ("SHA256:...")
// stands where an OS account stands, so the timeline records "key SHA256:... as alice", every record that
// keeps an actor (events, runs, approvals) keeps the key with it, and two keys are two accounts.
func KeyActor(fingerprint, person string) Actor {
	return Actor{User: keyAccount + fingerprint, As: person}
}

// Key is the fingerprint of the SSH key that proved who acted, or "" when the actor is an OS account.
func (a Actor) Key() string {
	k, ok := strings.CutPrefix(a.User, keyAccount)
	if !ok {
		return ""
	}
	return k
}

// MaxAsLength is the longest --as name, in characters.
const MaxAsLength = 64

// CurrentActor is the OS user of the process's uid, acting as the named person when as is not empty. The
// account comes from the uid alone: $USER and $LOGNAME are set by whoever starts the process and prove
// nothing. A --as name that could hide or disguise who acted is refused (ErrInvalid), see CheckAs.
func CurrentActor(as string) (Actor, error) {
	as, err := CheckAs(as)
	if err != nil {
		return Actor{}, err
	}
	name := accountName(os.Getuid(), user.LookupId)
	if as == name {
		as = ""
	}
	return Actor{User: name, As: as}, nil
}

// accountName is the user name of uid from the passwd database (os/user looks it up by uid, with cgo or
// by reading /etc/passwd), or "uid1234" when there is no entry or its name could not be recorded safely.
func accountName(uid int, lookup func(uid string) (*user.User, error)) string {
	u, err := lookup(strconv.Itoa(uid))
	if err != nil || u == nil || u.Username == "" || strings.ContainsRune(u.Username, ' ') || problem(u.Username) != "" {
		return numericAccount(uid)
	}
	return u.Username
}

// numericAccount names an account that has no passwd entry.
func numericAccount(uid int) string { return fmt.Sprintf("uid%d", uid) }

// CheckAs validates a --as (or FIREBREAK_USER) name and returns it trimmed; "" means no --as. A name is
// refused when a reader of the timeline could be misled by it: characters that are invisible or change the
// text's direction, control characters, unusual spaces, invalid UTF-8, " as " (the separator between
// account and person in the record), the name firebreak itself records under, or more than MaxAsLength
// characters.
func CheckAs(as string) (string, error) {
	as = strings.TrimSpace(as)
	if as == "" {
		return "", nil
	}
	if p := problem(as); p != "" {
		return "", store.Errorf(ErrInvalid, "--as %s: %s", quote(as), p)
	}
	switch {
	case strings.Contains(as, " as "):
		return "", store.Errorf(ErrInvalid, `--as %s: the name contains " as ", which the timeline uses between account and person ("root as alice"); use one name without it`, quote(as))
	case strings.EqualFold(as, "firebreak"):
		return "", store.Errorf(ErrInvalid, "--as %s: firebreak records its own actions under that name; use your own name", quote(as))
	case utf8.RuneCountInString(as) > MaxAsLength:
		return "", store.Errorf(ErrInvalid, "--as %s: the name is %d characters long; use at most %d", quote(as), utf8.RuneCountInString(as), MaxAsLength)
	}
	return as, nil
}

// problem says what in s could hide or disguise a name, or "" when nothing does.
func problem(s string) string {
	if !utf8.ValidString(s) {
		return "the name is not valid UTF-8; use plain letters"
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("the name contains a control character (%U); use plain letters", r)
		case invisible(r):
			return fmt.Sprintf("the name contains an invisible or direction-changing character (%U); use plain letters", r)
		case r != ' ' && unicode.IsSpace(r):
			return fmt.Sprintf("the name contains an unusual space or line break (%U); use plain spaces", r)
		}
	}
	return ""
}

// quote is s in Go quotes with every character that problem refuses spelled out (\u3164), so an error
// about a hidden character shows it.
func quote(s string) string {
	var b strings.Builder
	for _, r := range strconv.Quote(s) {
		if invisible(r) || r != ' ' && unicode.IsSpace(r) {
			if r > 0xFFFF {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// invisible reports characters that draw nothing or reorder the text around them: every Unicode format
// character (Cf: zero-width spaces and joiners U+200B–U+200D, the marks and embeddings U+061C, U+200E/F,
// U+202A–U+202E, U+2060–U+2064, the isolates U+2066–U+2069, U+FEFF, U+180E), the other default-ignorable
// code points (Hangul fillers, U+034F) and the variation selectors.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u180E'
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

// SamePerson reports whether a and b are one person for the two-person rule: the same name (whichever
// way it was given), or the same SSH key whatever name its keys file gave it, so that a key can never
// approve what it started, even after its line in the keys file was renamed. This is the rule's one
// definition; the run engine asks it.
func SamePerson(a, b Actor) bool {
	if a.Person() == b.Person() {
		return true
	}
	return a.Key() != "" && a.Key() == b.Key()
}

// SameAccount reports whether a and b acted from the same OS account, whoever they named with --as. Two
// people on one account are told apart only by what they typed, so an approval between them is weaker
// than one between accounts: the retrospective flags it. An unknown (empty) account matches nothing.
func (a Actor) SameAccount(b Actor) bool {
	return a.User != "" && a.User == b.User
}

// ShortActor is how lists show who acted, person first: "alice (key oeRwhVLI)" for the person an SSH key
// proved (the fingerprint's first characters tell two keys of one name apart), else the actor as recorded
// ("root", "root as bob"). The record, JSON and the event's details keep the whole actor.
func ShortActor(s string) string {
	a := ParseActor(s)
	k := strings.TrimPrefix(a.Key(), "SHA256:")
	if k == "" || a.As == "" {
		return s
	}
	return a.As + " (key " + k[:min(8, len(k))] + ")"
}

// ParseActor reads an actor back from its String form.
func ParseActor(s string) Actor {
	u, as, _ := strings.Cut(s, " as ")
	return Actor{User: u, As: as}
}
