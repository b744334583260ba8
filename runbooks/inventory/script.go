package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak/firebreak/runbooks/filelimit"
)

// DefaultScriptTimeout bounds an executable inventory's run (all its runs, with --host) unless
// Options.ScriptTimeout says otherwise: a script that hangs should not hang firebreak.
const DefaultScriptTimeout = 30 * time.Second

// isScript says path is an executable inventory: an executable file, as Ansible's script plugin takes
// it, except the extensions firebreak reads as files (an .ini copied with its x bit is still INI).
func isScript(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ini", ".toml", ".yml", ".yaml", ".json":
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// parseScript runs the executable inventory path with --list and reads its JSON as Ansible's script
// plugin does: each key a group (a list of hosts, or hosts/vars/children), _meta.hostvars the hosts'
// variables; without _meta.hostvars the script is run again with --host NAME for each host.
func (d *data) parseScript(path string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultScriptTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := runScript(ctx, path, timeout, "--list")
	if err != nil {
		return err
	}
	top, err := decodeJSON(out)
	if err != nil || top.kind != '{' {
		if err == nil {
			err = errors.New("needs to be a JSON object")
		}
		return parseErr(path, 1, "the output of %s --list is not an inventory: %v", path, err)
	}
	var meta *jsonValue
	var hosts []string
	seen := map[string]bool{}
	for i, name := range top.keys {
		gdata := top.vals[i]
		if name == "_meta" {
			if hv := gdata.get("hostvars"); hv != nil {
				meta = hv
			}
			continue
		}
		g := d.addGroup(name)
		if gdata.kind != '{' {
			gdata = &jsonValue{kind: '{', keys: []string{"hosts"}, vals: []*jsonValue{gdata}}
		} else if gdata.get("hosts") == nil && gdata.get("vars") == nil && gdata.get("children") == nil {
			// Ansible's shorthand: a group without those keys is a host of that name with these variables.
			gdata = &jsonValue{kind: '{', keys: []string{"hosts", "vars"}, vals: []*jsonValue{{kind: '[', vals: []*jsonValue{{kind: '"', str: name}}}, gdata}}
		}
		if hs := gdata.get("hosts"); hs != nil {
			if hs.kind != '[' {
				return parseErr(path, 1, "group %s: hosts must be a list of names, got %s", name, hs.text())
			}
			for _, h := range hs.vals {
				hn := h.text()
				if hn == "" {
					return parseErr(path, 1, "group %s: empty host name", name)
				}
				if !seen[hn] {
					seen[hn] = true
					hosts = append(hosts, hn)
				}
				d.addHost(hn, g, path, 1)
				if err := d.full(path, 1); err != nil {
					return err
				}
			}
		}
		if vs := gdata.get("vars"); vs != nil {
			if vs.kind != '{' {
				return parseErr(path, 1, "group %s: vars must be an object, got %s", name, vs.text())
			}
			for j, k := range vs.keys {
				if err := g.setVar(k, vs.vals[j].text()); err != nil {
					return parseErr(path, 1, "group %s: %v", name, err)
				}
			}
		}
		if cs := gdata.get("children"); cs != nil {
			for _, c := range cs.elems() {
				if err := addChildGroup(g, d.addGroup(c.text())); err != nil {
					return parseErr(path, 1, "%v", err)
				}
			}
		}
	}
	for _, hn := range hosts {
		var vars *jsonValue
		if meta == nil {
			out, err := runScript(ctx, path, timeout, "--host", hn)
			if err != nil {
				return err
			}
			if vars, err = decodeJSON(out); err != nil {
				return parseErr(path, 1, "the output of %s --host %s is not JSON: %v", path, hn, err)
			}
		} else if meta.kind == '{' {
			vars = meta.get(hn)
		} else {
			return parseErr(path, 1, "_meta.hostvars must be an object of host names")
		}
		if vars == nil || vars.kind == 'n' {
			continue
		}
		if vars.kind != '{' {
			return parseErr(path, 1, "variables of host %s must be an object, got %s", hn, vars.text())
		}
		id, _ := d.lookup(hn)
		e := d.own(id)
		for j, k := range vars.keys {
			setVar(e.vars, k, vars.vals[j].text())
		}
	}
	return nil
}

// runScript runs the inventory script with args, its output bounded by filelimit's size.
func runScript(ctx context.Context, path string, timeout time.Duration, args ...string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("inventory script %s: %w", path, err)
	}
	cmd := exec.CommandContext(ctx, abs, args...)
	cmd.WaitDelay = time.Second
	stderr := &tail{max: 4096}
	cmd.Stderr = stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	call := path + " " + strings.Join(args, " ")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("inventory script %s: %w", call, err)
	}
	max := filelimit.MaxSize()
	out, _ := io.ReadAll(io.LimitReader(pipe, max+1))
	over := int64(len(out)) > max
	if over {
		_ = cmd.Process.Kill()
	}
	err = cmd.Wait()
	switch {
	case over:
		return nil, &filelimit.Error{File: path, Msg: fmt.Sprintf("%s printed more than %d bytes: raise [limits] max_file_size in the config, or trim the inventory", call, max)}
	case ctx.Err() != nil:
		return nil, fmt.Errorf("inventory script %s did not finish within %s: it must print its inventory and exit; run it by hand to see where it waits", call, timeout)
	case err != nil:
		msg := strings.TrimSpace(string(stderr.b))
		if msg != "" {
			msg = ": " + msg
		}
		return nil, fmt.Errorf("inventory script %s failed: %w%s", call, err, msg)
	}
	return out, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	b   []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// jsonValue is decoded JSON that keeps an object's key order, as Python's json does: kind is '{', '[',
// '"' (string), '0' (number), 'b' (boolean) or 'n' (null).
type jsonValue struct {
	kind byte
	str  string
	keys []string
	vals []*jsonValue
}

// get is the value of key in an object, or nil.
func (v *jsonValue) get(key string) *jsonValue {
	if v == nil || v.kind != '{' {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

// elems is a list's elements, or an object's keys as strings (Python iterates a dict's keys).
func (v *jsonValue) elems() []*jsonValue {
	if v == nil {
		return nil
	}
	switch v.kind {
	case '[':
		return v.vals
	case '{':
		out := make([]*jsonValue, len(v.keys))
		for i, k := range v.keys {
			out[i] = &jsonValue{kind: '"', str: k}
		}
		return out
	case '"':
		out := make([]*jsonValue, 0, len(v.str))
		for _, r := range v.str {
			out = append(out, &jsonValue{kind: '"', str: string(r)})
		}
		return out
	}
	return nil
}

// text is the value as a variable's text: strings as they are, numbers and booleans as Python prints
// them, null as empty, lists and objects as JSON.
func (v *jsonValue) text() string {
	switch v.kind {
	case '"', '0', 'b':
		return v.str
	case 'n':
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// MarshalJSON writes the value back, objects in their order.
func (v *jsonValue) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	switch v.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			vb, _ := v.vals[i].MarshalJSON()
			b.Write(kb)
			b.WriteByte(':')
			b.Write(vb)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, e := range v.vals {
			if i > 0 {
				b.WriteByte(',')
			}
			eb, _ := e.MarshalJSON()
			b.Write(eb)
		}
		b.WriteByte(']')
	case '"':
		return json.Marshal(v.str)
	case 'b':
		return []byte(strings.ToLower(v.str)), nil
	case 'n':
		return []byte("null"), nil
	default:
		return []byte(v.str), nil
	}
	return b.Bytes(), nil
}

// decodeJSON decodes one JSON document; a repeated key keeps its first place and its last value.
func decodeJSON(src []byte) (*jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("extra data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jsonValue{kind: '{'}
			at := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				e, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				if i, ok := at[k]; ok {
					v.vals[i] = e
					continue
				}
				at[k] = len(v.keys)
				v.keys = append(v.keys, k)
				v.vals = append(v.vals, e)
			}
			_, err := dec.Token()
			return v, err
		case '[':
			v := &jsonValue{kind: '['}
			for dec.More() {
				e, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				v.vals = append(v.vals, e)
			}
			_, err := dec.Token()
			return v, err
		}
	case string:
		return &jsonValue{kind: '"', str: t}, nil
	case json.Number:
		return &jsonValue{kind: '0', str: pyNumber(string(t))}, nil
	case bool:
		if t {
			return &jsonValue{kind: 'b', str: "True"}, nil
		}
		return &jsonValue{kind: 'b', str: "False"}, nil
	case nil:
		return &jsonValue{kind: 'n'}, nil
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}

// pyNumber is a JSON number as Python's json reads and prints it: an integer as written, anything with a
// point or exponent as a float's repr.
func pyNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if n, ok := new(big.Int).SetString(s, 10); ok {
			return n.String()
		}
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && f == 0 {
		return s
	}
	return pyRepr(f)
}
