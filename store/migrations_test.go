package store

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrationsNumbering(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	ms, err := Migrations(fstest.MapFS{"m/0002_b.sql": file, "m/0001_a.sql": file}, "m")
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[1].Version != 2 || ms[1].SQL != "SELECT 1;" {
		t.Fatalf("Migrations = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"a gap":        {"m/0001_a.sql": file, "m/0003_c.sql": file},
		"a duplicate":  {"m/0001_a.sql": file, "m/0001_b.sql": file},
		"no number":    {"m/init.sql": file},
		"not from one": {"m/0002_b.sql": file},
	} {
		if _, err := Migrations(fsys, "m"); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: err = %v, want a refusal naming the migration", name, err)
		}
	}
}
