package inventory

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// checkHostNameTokens refuses a HostName with a %-token other than %h and %%, as OpenSSH does.
func checkHostNameTokens(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+1 >= len(v) || (v[i+1] != 'h' && v[i+1] != '%') {
			return fmt.Errorf("HostName %q: only %%h and %%%% may follow %%", v)
		}
		i++
	}
	return nil
}

// expandHostName expands %h (the destination as typed) and %% in a HostName checked by
// checkHostNameTokens.
func expandHostName(v, host string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+1 < len(v) {
			i++
			if v[i] == 'h' {
				b.WriteString(host)
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// lowerHost lower-cases a host name as OpenSSH does before connecting; addresses are left alone.
func lowerHost(h string) string {
	if _, err := netip.ParseAddr(h); err == nil {
		return h
	}
	return strings.ToLower(h)
}

// sshTokens are the values of OpenSSH's %-tokens for IdentityFile and UserKnownHostsFile.
type sshTokens struct {
	home      string // %d and ~: the passwd home directory
	localUser string // %u
	host      string // %h: the host name connected to, lower-cased
	user      string // %r
	port      int    // %p
	orig      string // %n: the destination as typed
	keyAlias  string // %k: HostKeyAlias, else the destination as typed
}

// expandTokens expands ~, ${VAR} and the %-tokens OpenSSH allows in IdentityFile and UserKnownHostsFile
// (%C %d %h %i %k %L %l %n %p %r %u %%). An unknown token or an unset variable is an error, as it is for
// OpenSSH when it connects.
func expandTokens(p string, t sshTokens) (string, error) {
	p, err := expandTildeUser(p, t.home)
	if err != nil {
		return "", err
	}
	if p, err = expandEnv(p); err != nil {
		return "", err
	}
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+1 >= len(p) {
			return "", fmt.Errorf("%q ends in a lone %%", p)
		}
		i++
		switch p[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(t.home)
		case 'u':
			b.WriteString(t.localUser)
		case 'h':
			b.WriteString(t.host)
		case 'r':
			b.WriteString(t.user)
		case 'p':
			b.WriteString(strconv.Itoa(t.port))
		case 'n':
			b.WriteString(t.orig)
		case 'k':
			b.WriteString(t.keyAlias)
		case 'i':
			b.WriteString(strconv.Itoa(os.Getuid()))
		case 'l':
			b.WriteString(thisHost())
		case 'L':
			h, _, _ := strings.Cut(thisHost(), ".")
			b.WriteString(h)
		case 'C':
			// OpenSSH's connection hash: SHA-1 of %l%h%p%r.
			sum := sha1.Sum([]byte(thisHost() + t.host + strconv.Itoa(t.port) + t.user))
			b.WriteString(hex.EncodeToString(sum[:]))
		default:
			return "", fmt.Errorf("%q: unknown token %%%c", p, p[i])
		}
	}
	return b.String(), nil
}

func thisHost() string {
	h, _ := os.Hostname()
	return h
}

// expandEnv expands ${VAR} from the environment; $VAR without braces stays as it is, as in OpenSSH.
func expandEnv(p string) (string, error) {
	if !strings.Contains(p, "${") {
		return p, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(p, "${")
		if i < 0 {
			b.WriteString(p)
			return b.String(), nil
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%q: unterminated ${", p)
		}
		name := p[i+2 : i+j]
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("%q: environment variable %s is not set", p, name)
		}
		b.WriteString(p[:i])
		b.WriteString(v)
		p = p[i+j+1:]
	}
}

// expandTildeUser is OpenSSH's tilde_expand_filename: ~ and ~/PATH use home, ~USER and ~USER/PATH that
// user's home directory; the result is the directory, one slash, and PATH with its leading slashes cut.
func expandTildeUser(p, home string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	name, path, _ := strings.Cut(p[1:], "/")
	path = strings.TrimLeft(path, "/")
	dir := home
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return "", fmt.Errorf("%q: no user %s for ~%s", p, name, name)
		}
		dir = u.HomeDir
	}
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	return dir + path, nil
}

func expandTilde(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}

// PasswdHome is the current user's home directory from the passwd database, which OpenSSH uses for ~ and
// %d whatever $HOME says.
func PasswdHome() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return u.HomeDir, nil
}
