package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/mcpvet/mcpvet/internal/testenv"
)

// childEnv makes the test binary a Server process for TestKillNineRescued (see TestMain).
const (
	childEnv   = "MCPVET_APP_TEST_CHILD"
	childDBEnv = "MCPVET_APP_TEST_CHILD_DB"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain serves a Server on a loopback port whose Runner announces each Work on stdout and then
// hangs, until the parent kills the process.
func childMain() int {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var mu sync.Mutex
	runner := RunnerFunc(func(ctx context.Context, w Work) error {
		mu.Lock()
		fmt.Printf("RUNNING %s\n", w.HeadSHA)
		mu.Unlock()
		select {} // a review that is in progress when the process dies
	})
	s, err := New(ctx, Config{WebhookSecret: []byte(testSecret), DB: os.Getenv(childDBEnv), Logger: log, FetchPollInterval: 50 * time.Millisecond}, runner)
	if err != nil {
		log.Error("child: New", "error", err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("child: listen", "error", err)
		return 1
	}
	mu.Lock()
	fmt.Printf("LISTEN %s\n", ln.Addr())
	mu.Unlock()
	if err := s.Serve(ctx, ln); err != nil {
		log.Error("child: serve", "error", err)
		return 1
	}
	return 0
}

// TestKillNineRescued: a Server process is killed with SIGKILL while a review runs; after a restart
// on the same database the job — left `running` — is rescued by River and runs again to completion.
func TestKillNineRescued(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for River's leader lease and rescuer (~20 s)")
	}
	for _, bc := range backendCases() {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			testKillNine(t, bc.db(t))
		})
	}
}

func testKillNine(t *testing.T, db string) {
	head := sha("kill-9")
	var stderr bytes.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childDBEnv+"="+db)
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(prefix string) string {
		t.Helper()
		timeout := time.After(waitLimit)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before %q", prefix)
				}
				if v, found := strings.CutPrefix(l, prefix+" "); found {
					return v
				}
			case <-timeout:
				t.Fatalf("timed out waiting for the child's %q", prefix)
			}
		}
	}
	addr := next("LISTEN")
	body := mustJSON(t, prPayload(t, "opened", helloWorld(), 21, head))
	req, err := testenv.NewWebhookRequest(context.Background(), "http://"+addr+"/webhook", "pull_request", newGUID(), body, testSecret, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("child answered %d", resp.StatusCode)
	}
	if got := next("RUNNING"); got != head {
		t.Fatalf("child runs %s, want %s", got, head)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	killedAt := time.Now()

	cfg, _ := testConfig(t, db)
	cfg.JobTimeout, cfg.RescueAfter = time.Second, 2*time.Second
	r := newFakeRunner(nil)
	s, err := New(context.Background(), cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	if st := jobStates(jobsOf(t, s)); len(st) != 1 || st[0] != rivertype.JobStateRunning {
		t.Fatalf("after kill -9 the jobs are %v, want [running]", st)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	jobs := waitAllFinal(t, s)
	t.Logf("re-run %v after the kill", time.Since(killedAt).Round(100*time.Millisecond))
	if n := r.callsFor(21, head); n != 1 {
		t.Fatalf("restarted server ran the head %d times, want 1", n)
	}
	j := jobs[0]
	if len(jobs) != 1 || j.State != rivertype.JobStateCompleted || j.Attempt != 2 {
		t.Fatalf("job %v attempt %d, want one completed on attempt 2", jobStates(jobs), j.Attempt)
	}
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "rescued") {
		t.Errorf("job errors %+v, want River's rescue", j.Errors)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
