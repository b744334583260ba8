package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabase(t *testing.T) {
	ctx := context.Background()
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("two tests got the same database %s", a)
	}
	for _, u := range []string{a, b} {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("fresh database has %d tables (%v)", n, err)
		}
		conn.Close(ctx)
	}
}

func TestRestart(t *testing.T) {
	u := NewDatabase(t)
	if err := Shared(t).Restart(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	conn.Close(context.Background())
}
