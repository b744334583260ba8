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
