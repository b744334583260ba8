package postgres_test

import (
	"testing"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres"
	"github.com/firebreak/firebreak/store/postgres/pgtest"
	"github.com/firebreak/firebreak/store/storetest"
)

// TestContract runs the engine contract against PostgreSQL: a new database for every subtest, and reopen
// opens another handle (its own pool) on the same database, as another process or machine would.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (store.Store, func(*testing.T) store.Store) {
		url := pgtest.NewDatabase(t)
		open := func(t *testing.T) store.Store {
			t.Helper()
			db, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		return open(t), open
	})
}
