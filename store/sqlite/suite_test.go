package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/storetest"
)

// TestContract runs the engine contract against SQLite: a new file for every subtest, and reopen opens the
// same file again, as another process would.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(*testing.T) store.Store) {
		path := filepath.Join(t.TempDir(), "fb.db")
		open := func(t *testing.T) store.Store {
			t.Helper()
			db, err := Open(t.Context(), path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		return open(t), open
	})
}
