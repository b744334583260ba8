package engine

import "net/url"

// Redact is target as it may be shown to people: a URL's password is replaced by xxxxx (paths are shown as
// they are). A target that does not parse as a URL is shown only by its scheme, since it may hold a
// password in a form url.Parse does not understand.
func Redact(target string) string {
	if !IsURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// WithoutPassword is target with a URL's password removed (from the user part and the password parameter),
// still usable when the password comes from ~/.pgpass or PGPASSWORD. Paths, and URLs that do not parse,
// come back as they are only when they hold no password; an unparseable URL becomes "".
func WithoutPassword(target string) string {
	if !IsURL(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
