package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

// same fails t with every difference between got and want, walking them field by field: times compare
// with Equal (and must both be UTC), JSON compares byte for byte, a nil slice equals an empty one.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	var out []string
	diff(what, reflect.ValueOf(got), reflect.ValueOf(want), &out)
	for i, d := range out {
		if i == 20 {
			t.Errorf("... and %d more differences", len(out)-i)
			break
		}
		t.Error(d)
	}
}

func diff(path string, a, b reflect.Value, out *[]string) {
	if !a.IsValid() || !b.IsValid() {
		if a.IsValid() != b.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, show(a), show(b)))
		}
		return
	}
	if a.Type() != b.Type() {
		*out = append(*out, fmt.Sprintf("%s: got a %v, want a %v", path, a.Type(), b.Type()))
		return
	}
	switch {
	case a.Type() == timeType:
		ta, tb := a.Interface().(time.Time), b.Interface().(time.Time)
		if !ta.Equal(tb) {
			*out = append(*out, fmt.Sprintf("%s: got time %s, want %s", path, ta.Format(time.RFC3339Nano), tb.Format(time.RFC3339Nano)))
		} else if ta.Location() != time.UTC {
			*out = append(*out, fmt.Sprintf("%s: time %s is not in UTC", path, ta))
		}
		return
	case a.Type() == rawType:
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			*out = append(*out, fmt.Sprintf("%s: got JSON %q, want %q", path, a.Bytes(), b.Bytes()))
		}
		return
	}
	switch a.Kind() {
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %v, want %v", path, show(a), show(b)))
			}
			return
		}
		diff(path, a.Elem(), b.Elem(), out)
	case reflect.Struct:
		for i := range a.NumField() {
			diff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d elements, want %d:\n  got  %s\n  want %s", path, a.Len(), b.Len(), show(a), show(b)))
			return
		}
		for i := range a.Len() {
			diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), out)
		}
	case reflect.Map:
		keys := map[string]reflect.Value{}
		for _, k := range a.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
		for _, k := range b.MapKeys() {
			keys[fmt.Sprint(k.Interface())] = k
		}
		names := make([]string, 0, len(keys))
		for n := range keys {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			k := keys[n]
			diff(fmt.Sprintf("%s[%s]", path, n), a.MapIndex(k), b.MapIndex(k), out)
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v", path, a.Interface(), b.Interface()))
		}
	}
}

func show(v reflect.Value) string {
	if !v.IsValid() {
		return "nothing"
	}
	s := fmt.Sprintf("%+v", v.Interface())
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// stored fails t for every time in v (walked like same) that is not UTC with microsecond precision: the
// only times an engine gives back.
func stored(t *testing.T, what string, v any) {
	t.Helper()
	var bad []string
	walkTimes(what, reflect.ValueOf(v), func(path string, tm time.Time) {
		if tm.Location() != time.UTC {
			bad = append(bad, fmt.Sprintf("%s: %s is not in UTC", path, tm))
		}
		if tm.Nanosecond()%1000 != 0 {
			bad = append(bad, fmt.Sprintf("%s: %s has more than microsecond precision", path, tm.Format(time.RFC3339Nano)))
		}
	})
	if len(bad) > 0 {
		t.Error(strings.Join(bad, "\n"))
	}
}

func walkTimes(path string, v reflect.Value, f func(string, time.Time)) {
	if !v.IsValid() {
		return
	}
	if v.Type() == timeType {
		f(path, v.Interface().(time.Time))
		return
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			walkTimes(path, v.Elem(), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkTimes(path+"."+v.Type().Field(i).Name, v.Field(i), f)
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawType {
			return
		}
		for i := range v.Len() {
			walkTimes(fmt.Sprintf("%s[%d]", path, i), v.Index(i), f)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			walkTimes(fmt.Sprintf("%s[%v]", path, iter.Key().Interface()), iter.Value(), f)
		}
	}
}
