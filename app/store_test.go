package app

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCleanupRetention: delivery ids are kept DeliveryRetention and closed PRs' heads
// ClosedPRRetention, to the millisecond; open PRs' heads stay. (And inTx rolls back failed work.)
func TestCleanupRetention(t *testing.T) {
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			cfg, _ := testConfig(t, bc.db(t))
			s, err := New(context.Background(), cfg, newFakeRunner(nil))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(context.Background()) })
			switch b := s.backend.(type) {
			case *riverBackend[*sql.Tx]:
				testCleanup(t, b)
			case *riverBackend[pgx.Tx]:
				testCleanup(t, b)
			default:
				t.Fatalf("backend %T", b)
			}
		})
	}
}

func testCleanup[TTx any](t *testing.T, b *riverBackend[TTx]) {
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	exec := func(q string, args ...any) {
		t.Helper()
		if err := inTx(ctx, b.db, func(tx TTx) error { _, err := b.db.Exec(ctx, tx, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(q string) (n int) {
		t.Helper()
		if err := inTx(ctx, b.db, func(tx TTx) error {
			return b.db.Query(ctx, tx, q, nil, func(scan func(...any) error) error { return scan(&n) })
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ins := `INSERT INTO mcpvet_delivery (guid, event, action, installation_id, repo, units, received_at) VALUES (?, 'pull_request', 'opened', 1, 'o/r', 1, ?)`
	exec(ins, "kept", now.Add(-DeliveryRetention).UnixMilli())
	exec(ins, "expired", now.Add(-DeliveryRetention-time.Millisecond).UnixMilli())
	pr := `INSERT INTO mcpvet_pr_head (repo_id, number, owner, name, installation_id, head_sha, job_id, open, updated_at) VALUES (1, ?, 'o', 'r', 1, 'x', 0, ?, ?)`
	exec(pr, 1, 0, now.Add(-ClosedPRRetention).UnixMilli())
	exec(pr, 2, 0, now.Add(-ClosedPRRetention-time.Millisecond).UnixMilli())
	exec(pr, 3, 1, now.Add(-10*ClosedPRRetention).UnixMilli())
	if err := b.cleanup(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM mcpvet_delivery WHERE guid = 'kept'`); n != 1 {
		t.Error("a delivery exactly DeliveryRetention old was deleted")
	}
	if n := count(`SELECT COUNT(*) FROM mcpvet_delivery WHERE guid = 'expired'`); n != 0 {
		t.Error("a delivery past DeliveryRetention was kept")
	}
	if n := count(`SELECT COUNT(*) FROM mcpvet_pr_head WHERE number IN (1, 3)`); n != 2 {
		t.Error("a closed PR exactly ClosedPRRetention old, or an open one, was deleted")
	}
	if n := count(`SELECT COUNT(*) FROM mcpvet_pr_head WHERE number = 2`); n != 0 {
		t.Error("a closed PR past ClosedPRRetention was kept")
	}
	// A transaction whose work fails leaves nothing behind.
	boom := errors.New("boom")
	err := inTx(ctx, b.db, func(tx TTx) error {
		if _, err := b.db.Exec(ctx, tx, ins, "rolled-back", now.UnixMilli()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("inTx = %v, want the work's error", err)
	}
	if n := count(`SELECT COUNT(*) FROM mcpvet_delivery WHERE guid = 'rolled-back'`); n != 0 {
		t.Error("the row of a failed transaction was committed")
	}
}

// TestServeShutdown: Serve answers on its listener, logs its configuration without secrets, and
// returns nil after ctx is cancelled.
func TestServeShutdown(t *testing.T) {
	cfg, logs := testConfig(t, "sqlite:"+t.TempDir()+"/mcpvet.db")
	cfg.PrivateKey = []byte(testKeyPEM(t))
	s, err := New(context.Background(), cfg, newFakeRunner(nil))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "webhook_secret=set") || !strings.Contains(out, "private_key=set") {
		t.Errorf("startup log lacks the configuration: %s", out)
	}
	if strings.Contains(out, testSecret) || strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("logs reveal a secret: %s", out)
	}
}
