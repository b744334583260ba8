// Package engine opens firebreak's record in the engine its address names: a path is a SQLite file (the
// embedded default), a postgres:// or postgresql:// URL a PostgreSQL database. It is the only package that
// imports the engines; everything else works with store.Store.
package engine

import (
	"context"
	"strings"

	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/postgres"
	"github.com/firebreak/firebreak/store/sqlite"
)

// IsURL says whether target names a PostgreSQL database rather than a SQLite file.
func IsURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Open opens (creating and migrating if needed) the database target names.
func Open(ctx context.Context, target string, opt store.Options) (store.Store, error) {
	if IsURL(target) {
		db, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return db, nil
	}
	return sqlite.Open(ctx, target, opt)
}
