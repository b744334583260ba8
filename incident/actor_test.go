package incident

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"
)

// TestCheckAsRefusals refuses every kind of name that could hide or disguise who acted, with a one-line
// error that says what is wrong and what to use.
func TestCheckAsRefusals(t *testing.T) {
	cases := []struct {
		name, as, want string
	}{
		{"NUL", "bo\x00b", "control character (U+0000)"},
		{"newline", "alice\nroot", "control character (U+000A)"},
		{"tab", "al\tice", "control character (U+0009)"},
		{"escape", "\x1b[31mbob", "control character (U+001B)"},
		{"DEL", "bob\x7f", "control character (U+007F)"},
		{"C1", "bob\u0085x", "control character (U+0085)"},
		{"zero-width space", "bo\u200bb", "invisible or direction-changing character (U+200B)"},
		{"zero-width non-joiner", "bo\u200cb", "invisible or direction-changing character (U+200C)"},
		{"zero-width joiner", "bo\u200db", "invisible or direction-changing character (U+200D)"},
		{"left-to-right mark", "bo\u200eb", "invisible or direction-changing character (U+200E)"},
		{"right-to-left mark", "bo\u200fb", "invisible or direction-changing character (U+200F)"},
		{"word joiner", "bo\u2060b", "invisible or direction-changing character (U+2060)"},
		{"invisible plus", "bo\u2064b", "invisible or direction-changing character (U+2064)"},
		{"byte order mark", "\ufeffbob", "invisible or direction-changing character (U+FEFF)"},
		{"Mongolian vowel separator", "bo\u180eb", "invisible or direction-changing character (U+180E)"},
		{"Arabic letter mark", "bo\u061cb", "invisible or direction-changing character (U+061C)"},
		{"LRE", "bo\u202ab", "invisible or direction-changing character (U+202A)"},
		{"RLO", "bo\u202eb", "invisible or direction-changing character (U+202E)"},
		{"LRI", "bo\u2066b", "invisible or direction-changing character (U+2066)"},
		{"PDI", "bo\u2069b", "invisible or direction-changing character (U+2069)"},
		{"soft hyphen (Cf)", "bo\u00adb", "invisible or direction-changing character (U+00AD)"},
		{"tag character (Cf)", "bob\U000E0041", "invisible or direction-changing character (U+E0041)"},
		{"Hangul filler", "\u3164", "invisible or direction-changing character (U+3164)"},
		{"variation selector", "bo\ufe0fb", "invisible or direction-changing character (U+FE0F)"},
		{"no-break space", "bo\u00a0b", "unusual space or line break (U+00A0)"},
		{"line separator", "bo\u2028b", "unusual space or line break (U+2028)"},
		{"invalid UTF-8", "bo\xffb", "not valid UTF-8"},
		{"truncated UTF-8", "bo\xe2\x80", "not valid UTF-8"},
		{"record separator", "x as y", `" as "`},
		{"record separator padded", " root as alice ", `" as "`},
		{"firebreak's own name", "FireBreak", "firebreak records its own actions"},
		{"too long", strings.Repeat("a", MaxAsLength+1), "65 characters long; use at most 64"},
		{"too long in runes", strings.Repeat("é", MaxAsLength+1), "65 characters long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CurrentActor(c.as)
			if err == nil {
				t.Fatalf("--as %q was accepted", c.as)
			}
			msg := err.Error()
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("--as %q: error kind %v, want ErrInvalid (exit code 2)", c.as, err)
			}
			if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "--as \"") || strings.HasPrefix(msg, `--as "\"`) || !strings.Contains(msg, "; use ") {
				t.Errorf("--as %q: error %q, want it to name %q and what to use", c.as, msg, c.want)
			}
			if strings.ContainsAny(msg, "\n\r") || problem(msg) != "" {
				t.Errorf("--as %q: the error itself is not one plain line: %q", c.as, msg)
			}
		})
	}
}

func TestCheckAsAccepts(t *testing.T) {
	cases := map[string]string{
		"":                               "",
		"   ":                            "",
		" alice ":                        "alice",
		"\talice\n":                      "alice",
		"Alice Smith":                    "Alice Smith",
		"José Núñez":                     "José Núñez",
		"Thomas":                         "Thomas",
		"Jonas Asher":                    "Jonas Asher",
		"日本語":                            "日本語",
		"o'brien-smith.jr":               "o'brien-smith.jr",
		strings.Repeat("é", MaxAsLength): strings.Repeat("é", MaxAsLength),
	}
	for in, want := range cases {
		got, err := CheckAs(in)
		if err != nil || got != want {
			t.Errorf("CheckAs(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestCurrentActorFromUID: the account comes from the uid, never from $USER or $LOGNAME.
func TestCurrentActorFromUID(t *testing.T) {
	t.Setenv("USER", "mallory")
	t.Setenv("LOGNAME", "mallory")
	want := numericAccount(os.Getuid())
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		want = u.Username
	}
	if os.Getuid() == 0 && want != "root" {
		t.Fatalf("uid 0 looked up as %q, want root", want)
	}
	for _, c := range []struct{ as, wantAs string }{{"", ""}, {"alice", "alice"}, {"mallory", "mallory"}, {want, ""}} {
		a, err := CurrentActor(c.as)
		if err != nil {
			t.Fatal(err)
		}
		if a.User != want || a.As != c.wantAs {
			t.Errorf("USER=mallory CurrentActor(%q) = %+v, want {User:%s As:%s}", c.as, a, want, c.wantAs)
		}
	}
}

// TestAccountNameFallback: a uid without a passwd entry (or with a name the record cannot hold) is named
// by number.
func TestAccountNameFallback(t *testing.T) {
	fail := func(uid string) (*user.User, error) { return nil, user.UnknownUserIdError(1234) }
	if got := accountName(1234, fail); got != "uid1234" {
		t.Errorf("no passwd entry: %q, want uid1234", got)
	}
	var asked string
	found := func(name string) func(string) (*user.User, error) {
		return func(uid string) (*user.User, error) { asked = uid; return &user.User{Uid: uid, Username: name}, nil }
	}
	if got := accountName(1000, found("alice")); got != "alice" || asked != "1000" {
		t.Errorf("passwd entry alice for uid %s: %q", asked, got)
	}
	for _, bad := range []string{"", "root as bob", "a b", "ro\u202eot", "x\ny"} {
		if got := accountName(42, found(bad)); got != "uid42" {
			t.Errorf("passwd name %q: %q, want uid42", bad, got)
		}
	}
}

func TestSameAccount(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"root as alice", "root as bob", true},
		{"root", "root as bob", true},
		{"root as alice", "root as alice", true},
		{"alice", "bob", false},
		{"root as alice", "alice", false},
		{"", "", false},
		{"", "root", false},
	}
	for _, c := range cases {
		if got := ParseActor(c.a).SameAccount(ParseActor(c.b)); got != c.want {
			t.Errorf("%q SameAccount %q = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// FuzzActorRoundTrip: every name --as accepts is read back by ParseActor as written.
func FuzzActorRoundTrip(f *testing.F) {
	for _, s := range []string{"alice", "Alice Smith", "x as y", "bo\u202eb", " as ", "as", "a s", "root as"} {
		f.Add("root", s)
	}
	f.Fuzz(func(t *testing.T, account, as string) {
		if account == "" || strings.ContainsRune(account, ' ') || problem(account) != "" {
			return // accountName never records such a name
		}
		as, err := CheckAs(as)
		if err != nil {
			return
		}
		a := Actor{User: account, As: as}
		if got := ParseActor(a.String()); got != a {
			t.Fatalf("ParseActor(%q) = %+v, want %+v", a.String(), got, a)
		}
	})
}

// TestKeyActor: a person proven by an SSH key is recorded with the key where an OS account stands, reads
// back the same, and is one person with anyone of the same name or the same key.
func TestKeyActor(t *testing.T) {
	a := KeyActor("SHA256:AAAA", "alice")
	if got := a.String(); got != "key SHA256:AAAA as alice" {
		t.Fatalf("String() = %q", got)
	}
	back := ParseActor(a.String())
	if back != a || back.Key() != "SHA256:AAAA" || back.Person() != "alice" {
		t.Fatalf("ParseActor(%q) = %+v (key %q)", a.String(), back, back.Key())
	}
	if k := (Actor{User: "root", As: "alice"}).Key(); k != "" {
		t.Errorf("an OS account has key %q", k)
	}
	for _, c := range []struct {
		b    Actor
		same bool
	}{
		{KeyActor("SHA256:BBBB", "bob"), false},
		{KeyActor("SHA256:AAAA", "bob"), true},   // the same key, renamed
		{KeyActor("SHA256:BBBB", "alice"), true}, // the same name, another key
		{Actor{User: "root", As: "alice"}, true},
		{Actor{User: "alice"}, true},
		{Actor{User: "root", As: "bob"}, false},
	} {
		if got := SamePerson(a, c.b); got != c.same || SamePerson(c.b, a) != c.same {
			t.Errorf("SamePerson(%v, %v) = %v, want %v both ways", a, c.b, got, c.same)
		}
	}
}

// TestShortActor: lists show a key's person first, with enough of the fingerprint to tell two keys of one
// name apart; other actors as recorded.
func TestShortActor(t *testing.T) {
	for in, want := range map[string]string{
		KeyActor("SHA256:oeRwhVLI5K1Zbr7QAVAOyzRnmh61ID0xhszxnCzFZVU", "alice").String(): "alice (key oeRwhVLI)",
		"root":        "root",
		"root as bob": "root as bob",
		"":            "",
	} {
		if got := ShortActor(in); got != want {
			t.Errorf("ShortActor(%q) = %q, want %q", in, got, want)
		}
	}
}
