// Command webhooks measures mcpvet's App server under a burst of webhook deliveries: it starts a real
// app.Server on a loopback port (SQLite in a temporary file; PostgreSQL too when MCPVET_TEST_POSTGRES
// names a server, in a database of its own), fires N signed pull_request deliveries (GitHub's
// @octokit/webhooks-examples payload when installed, else a minimal one) from C concurrent clients,
// and prints deliveries per second, p50/p99/max acknowledgement latency, how long the queue took to
// run every unit, and lost = units the Runner never saw (must be 0) and dup = units it saw twice.
//
// Usage: go run ./bench/webhooks [-n 2000] [-c 16] [-workers 4] [-redeliver]
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcpvet/mcpvet/app"
	"github.com/mcpvet/mcpvet/internal/testenv"
)

const secret = "bench-webhook-secret"

func main() {
	n := flag.Int("n", 2000, "deliveries to send")
	c := flag.Int("c", 16, "concurrent senders")
	workers := flag.Int("workers", 4, "server workers (MCPVET_WORKERS)")
	redeliver := flag.Bool("redeliver", false, "send every delivery twice (the second must enqueue nothing)")
	drainLimit := flag.Duration("drain", 5*time.Minute, "how long to wait for the queue to run every unit")
	flag.Parse()
	if *n < 1 || *c < 1 {
		fmt.Fprintln(os.Stderr, "webhooks: -n and -c must be positive")
		os.Exit(2)
	}
	template, source := payloadTemplate()
	fmt.Printf("payload: %s (%d bytes); %d deliveries, %d senders, %d workers, redeliver=%v\n",
		source, len(mustJSON(template)), *n, *c, *workers, *redeliver)
	fmt.Printf("%-9s %8s %12s %9s %9s %9s %10s %5s %4s\n", "backend", "sent", "deliveries/s", "p50 ack", "p99 ack", "max ack", "drained", "lost", "dup")

	dir, err := os.MkdirTemp("", "mcpvet-bench-webhooks-")
	if err != nil {
		fail(err)
	}
	backends := []struct{ name, db string }{{"sqlite", "sqlite:" + dir + "/mcpvet.db"}}
	var dropPG func()
	if base := os.Getenv("MCPVET_TEST_POSTGRES"); base != "" {
		db, drop, err := freshPostgres(base)
		if err != nil {
			os.RemoveAll(dir)
			fail(err)
		}
		dropPG = drop
		backends = append(backends, struct{ name, db string }{"postgres", db})
	}
	code := 0
	for _, b := range backends {
		if err := run(b.name, b.db, template, *n, *c, *workers, *redeliver, *drainLimit); err != nil {
			fmt.Fprintf(os.Stderr, "webhooks: %s: %v\n", b.name, err)
			code = 1
			break
		}
	}
	if dropPG != nil {
		dropPG()
	}
	os.RemoveAll(dir) // os.Exit skips deferred calls
	os.Exit(code)
}

func run(name, db string, template map[string]any, n, c, workers int, redeliver bool, drainLimit time.Duration) error {
	var seen sync.Map // PR number → *atomic.Int32
	runner := app.RunnerFunc(func(_ context.Context, w app.Work) error {
		v, _ := seen.LoadOrStore(w.Number, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
		return nil
	})
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s, err := app.New(context.Background(), app.Config{WebhookSecret: []byte(secret), DB: db, Workers: workers, Logger: logger,
		FetchPollInterval: 100 * time.Millisecond}, runner)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	endpoint := "http://" + ln.Addr().String() + "/webhook"

	bodies := make([][]byte, n)
	for i := range n {
		bodies[i] = prBody(template, i+1)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 30 * time.Second}
	latencies := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var failures atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				guid := newGUID()
				sends := 1
				if redeliver {
					sends = 2
				}
				for k := range sends {
					t0 := time.Now()
					code, err := post(client, endpoint, guid, bodies[i])
					d := time.Since(t0)
					want := http.StatusAccepted
					if k > 0 {
						want = http.StatusOK
					}
					if err != nil || code != want {
						failures.Add(1)
						fmt.Fprintf(os.Stderr, "delivery %d: %d %v\n", i, code, err)
						continue
					}
					mu.Lock()
					latencies = append(latencies, d)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	count := func() (got, dup int) {
		seen.Range(func(_, v any) bool {
			got++
			if v.(*atomic.Int32).Load() > 1 {
				dup++
			}
			return true
		})
		return got, dup
	}
	deadline := time.Now().Add(drainLimit)
	for {
		if got, _ := count(); got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	drained := time.Since(start)
	got, dup := count()
	cancel()
	if err := <-served; err != nil {
		return err
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	sent := len(latencies)
	fmt.Printf("%-9s %8d %12.0f %9s %9s %9s %10s %5d %4d\n", name, sent, float64(sent)/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond),
		drained.Round(10*time.Millisecond), n-got, dup)
	if failures.Load() > 0 || got != n || dup != 0 {
		return fmt.Errorf("%d failed deliveries, %d of %d units run, %d run twice", failures.Load(), got, n, dup)
	}
	return nil
}

func post(client *http.Client, endpoint, guid string, body []byte) (int, error) {
	req, err := testenv.NewWebhookRequest(context.Background(), endpoint, "pull_request", guid, body, secret, 1)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// payloadTemplate is GitHub's pull_request opened example when installed, else a minimal payload
// with the fields mcpvet reads.
func payloadTemplate() (map[string]any, string) {
	exs, err := testenv.WebhookExamples("pull_request", "opened")
	if err == nil {
		var m map[string]any
		if json.Unmarshal(exs[len(exs)-1], &m) == nil {
			return m, "@octokit/webhooks-examples pull_request opened"
		}
	}
	return map[string]any{
		"action":       "opened",
		"number":       1,
		"pull_request": map[string]any{"number": 1, "head": map[string]any{"sha": ""}, "base": map[string]any{"repo": map[string]any{"id": 1}}},
		"repository":   map[string]any{"id": 1, "name": "Hello-World", "full_name": "Codertocat/Hello-World", "owner": map[string]any{"login": "Codertocat"}},
		"installation": map[string]any{"id": 1},
	}, "minimal synthetic (run scripts/testdeps.sh for GitHub's example)"
}

// prBody is the template moved to PR number i with a head of its own.
func prBody(template map[string]any, i int) []byte {
	m := map[string]any{}
	for k, v := range template {
		m[k] = v
	}
	pr := map[string]any{}
	if old, ok := template["pull_request"].(map[string]any); ok {
		for k, v := range old {
			pr[k] = v
		}
	}
	head := map[string]any{}
	if old, ok := pr["head"].(map[string]any); ok {
		for k, v := range old {
			head[k] = v
		}
	}
	head["sha"] = fmt.Sprintf("%040x", i)
	pr["head"], pr["number"] = head, i
	m["pull_request"], m["number"] = pr, i
	m["installation"] = map[string]any{"id": 1}
	return mustJSON(m)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	return b
}

func newGUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// freshPostgres creates a database of its own on the server of base; drop removes it.
func freshPostgres(base string) (string, func(), error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to MCPVET_TEST_POSTGRES: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "mcpvet_bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "webhooks:", err)
	os.Exit(1)
}
