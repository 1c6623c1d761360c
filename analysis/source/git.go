package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hardenedConfig returns the settings passed with -c to every git
// invocation: nothing from the (hostile) repository or the host's
// configuration may run code, follow redirects, prompt, or reach anything but
// HTTPS. (System and global configuration are disabled by the environment.)
func hardenedConfig() []string {
	return []string{
		"protocol.allow=never",
		"protocol.https.allow=always",
		"core.hooksPath=/dev/null",
		"core.fsmonitor=false",
		"core.askPass=",
		"credential.helper=",
		"submodule.recurse=false",
		"fetch.recurseSubmodules=false",
		"http.followRedirects=false",
		"http.lowSpeedLimit=1000",
		"http.lowSpeedTime=60",
		"transfer.bundleURI=false",
		"fetch.writeCommitGraph=false",
		"gc.auto=0",
		"maintenance.auto=false",
		"init.defaultBranch=main",
		"core.quotePath=false",
		"log.showSignature=false",
		"log.mailmap=false",
		"diff.renames=false",
	}
}

// runner runs git with a hardened environment.
type runner struct {
	git string   // path of the git binary
	env []string // complete environment (nothing inherited but PATH)
	// cfg holds extra "-c key=value" settings (never secrets).
	cfg []string
	// secrets are scrubbed from any stderr included in errors.
	secrets []string
	// trace, when set (tests), sees every argv.
	trace func(argv []string)
}

// newRunner builds a runner whose HOME is home (an empty directory).
func newRunner(home string) (*runner, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("find git: %w", err)
	}
	pathEnv := os.Getenv("PATH")
	if pathEnv == "" {
		pathEnv = "/usr/local/bin:/usr/bin:/bin"
	}
	env := []string{
		"PATH=" + pathEnv,
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_NO_LAZY_FETCH=1",
		"GIT_PROTOCOL_FROM_USER=0",
		"LC_ALL=C",
		"TZ=UTC",
	}
	return &runner{git: gitPath, env: env}, nil
}

// with returns a copy of rn with extra -c settings, environment and secrets.
func (rn *runner) with(cfg, env, secrets []string) *runner {
	c := *rn
	c.cfg = append(append([]string(nil), rn.cfg...), cfg...)
	c.env = append(append([]string(nil), rn.env...), env...)
	c.secrets = append(append([]string(nil), rn.secrets...), secrets...)
	return &c
}

// command builds an exec.Cmd for git with the hardened settings. gitDir, when
// set, is passed with --git-dir.
func (rn *runner) command(ctx context.Context, gitDir string, args ...string) *exec.Cmd {
	hardened := hardenedConfig()
	argv := make([]string, 0, 2*len(hardened)+2*len(rn.cfg)+len(args)+2)
	for _, kv := range hardened {
		argv = append(argv, "-c", kv)
	}
	for _, kv := range rn.cfg {
		argv = append(argv, "-c", kv)
	}
	if gitDir != "" {
		argv = append(argv, "--git-dir="+gitDir)
	}
	argv = append(argv, args...)
	if rn.trace != nil {
		rn.trace(append([]string{rn.git}, argv...))
	}
	cmd := exec.CommandContext(ctx, rn.git, argv...)
	cmd.Env = rn.env
	cmd.Dir = os.TempDir()
	if gitDir != "" {
		cmd.Dir = gitDir
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// gitError is a failed git command; Stderr is scrubbed of secrets.
type gitError struct {
	Sub    string // the git subcommand
	Stderr string
	Err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		return fmt.Sprintf("git %s: %v", e.Sub, e.Err)
	}
	return fmt.Sprintf("git %s: %v: %s", e.Sub, e.Err, msg)
}

func (e *gitError) Unwrap() error { return e.Err }

// scrub removes secrets from s and bounds it.
func (rn *runner) scrub(s string) string {
	for _, sec := range rn.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	if len(s) > maxStderrBytes {
		s = truncate(s, maxStderrBytes)
	}
	return s
}

// limitedBuffer keeps at most max bytes and remembers overflow.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int64
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	room := b.max - int64(b.buf.Len())
	if int64(len(p)) > room {
		b.overflow = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// output runs git and returns stdout, failing with ErrTooLarge when stdout
// exceeds max bytes.
func (rn *runner) output(ctx context.Context, gitDir string, max int64, args ...string) ([]byte, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := rn.command(ctx, gitDir, args...)
	stdout := &limitedBuffer{max: max}
	stderr := &limitedBuffer{max: maxStderrBytes}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	err := cmd.Run()
	if stdout.overflow {
		return nil, fmt.Errorf("git %s: output exceeds %d bytes: %w", subcommand(args), max, ErrTooLarge)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w", subcommand(args), context.Cause(ctx))
		}
		return nil, &gitError{Sub: subcommand(args), Stderr: rn.scrub(stderr.buf.String()), Err: err}
	}
	return stdout.buf.Bytes(), nil
}

func subcommand(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "?"
}

// catFile is a long-lived `git cat-file --batch-command` process.
type catFile struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	in     *bufio.Writer
	out    *bufio.Reader
	cancel context.CancelFunc
	broken bool
}

// objectInfo is the header cat-file prints for an object.
type objectInfo struct {
	ID   string
	Type string
	Size int64
}

// batch serialises access to one catFile, restarting it after errors.
type batch struct {
	mu     sync.Mutex
	rn     *runner
	gitDir string
	cur    *catFile
	closed bool
}

func (b *batch) start() (*catFile, error) {
	if b.closed {
		return nil, errors.New("repository is closed")
	}
	if b.cur != nil && !b.cur.broken {
		return b.cur, nil
	}
	if b.cur != nil {
		b.cur.stop()
		b.cur = nil
	}
	// The process outlives any one request's context; requests kill it on
	// cancellation through kill.
	ctx, cancel := context.WithCancel(context.Background())
	cmd := b.rn.command(ctx, b.gitDir, "cat-file", "--batch-command")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	b.cur = &catFile{cmd: cmd, stdin: stdin, in: bufio.NewWriterSize(stdin, 4096), out: bufio.NewReaderSize(stdout, 64<<10), cancel: cancel}
	return b.cur, nil
}

func (c *catFile) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() {
		c.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		c.cancel()
		<-done
	}
	c.cancel()
}

func (b *batch) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.cur != nil {
		b.cur.stop()
		b.cur = nil
	}
}

// request runs fn against the batch process, killing it if ctx ends first.
func (b *batch) request(ctx context.Context, fn func(c *catFile) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.start()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.cancel)
	err = fn(c)
	if !stop() {
		c.broken = true
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, errWrongType) {
		c.broken = true
	}
	return err
}

var errWrongType = errors.New("wrong object type")

// send writes one command line.
func (c *catFile) send(cmd, name string) error {
	if strings.ContainsAny(name, "\n\x00") {
		return fmt.Errorf("object name %q: %w", name, ErrNotFound)
	}
	c.in.WriteString(cmd)
	c.in.WriteByte(' ')
	c.in.WriteString(name)
	c.in.WriteByte('\n')
	return c.in.Flush()
}

// header reads "<oid> <type> <size>" or "<name> missing|ambiguous|…".
func (c *catFile) header(name string) (objectInfo, error) {
	line, err := c.out.ReadSlice('\n')
	if err != nil {
		return objectInfo{}, fmt.Errorf("git cat-file: %w", err)
	}
	text := strings.TrimSuffix(string(line), "\n")
	if f := strings.Fields(text); len(f) == 3 && isHex(f[0]) && len(f[0]) >= 40 {
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return objectInfo{}, fmt.Errorf("git cat-file: bad size %q", truncate(f[2], 30))
		}
		return objectInfo{ID: f[0], Type: f[1], Size: size}, nil
	}
	for _, status := range []string{"missing", "ambiguous", "dangling", "loop", "notdir"} {
		if strings.HasSuffix(text, " "+status) {
			return objectInfo{}, fmt.Errorf("object %q %s: %w", truncate(name, 80), status, ErrNotFound)
		}
	}
	return objectInfo{}, fmt.Errorf("git cat-file: unexpected output %q", truncate(text, 80))
}

// isHex reports whether s is non-empty lower-case hex.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// info returns an object's id, type and size.
func (b *batch) info(ctx context.Context, name string) (objectInfo, error) {
	var oi objectInfo
	err := b.request(ctx, func(c *catFile) error {
		if err := c.send("info", name); err != nil {
			return err
		}
		var err error
		oi, err = c.header(name)
		return err
	})
	return oi, err
}

// contents reads an object of type want (any type if "") of at most max bytes.
func (b *batch) contents(ctx context.Context, name, want string, max int64) ([]byte, objectInfo, error) {
	var data []byte
	var oi objectInfo
	err := b.request(ctx, func(c *catFile) error {
		if err := c.send("info", name); err != nil {
			return err
		}
		var err error
		if oi, err = c.header(name); err != nil {
			return err
		}
		if want != "" && oi.Type != want {
			return fmt.Errorf("object %s is a %s, not a %s: %w", truncate(name, 80), oi.Type, want, errWrongType)
		}
		if oi.Size > max {
			return fmt.Errorf("%s %s is %d bytes (limit %d): %w", oi.Type, oi.ID, oi.Size, max, ErrTooLarge)
		}
		if err := c.send("contents", oi.ID); err != nil {
			return err
		}
		oi2, err := c.header(oi.ID)
		if err != nil {
			return err
		}
		if oi2.Size != oi.Size {
			return fmt.Errorf("git cat-file: size changed for %s", oi.ID)
		}
		data = make([]byte, oi.Size+1)
		if _, err := io.ReadFull(c.out, data); err != nil {
			return fmt.Errorf("git cat-file: %w", err)
		}
		if data[oi.Size] != '\n' {
			return fmt.Errorf("git cat-file: missing object terminator")
		}
		data = data[:oi.Size]
		return nil
	})
	return data, oi, err
}

// contentsDirect reads an object of type want in one round trip (no "info"
// first); an object over max bytes is drained and refused with ErrTooLarge.
// Meant for objects that are small in practice (trees).
func (b *batch) contentsDirect(ctx context.Context, id, want string, max int64) ([]byte, error) {
	var data []byte
	err := b.request(ctx, func(c *catFile) error {
		if err := c.send("contents", id); err != nil {
			return err
		}
		oi, err := c.header(id)
		if err != nil {
			return err
		}
		if oi.Size > max || oi.Type != want {
			if _, err := io.CopyN(io.Discard, c.out, oi.Size+1); err != nil {
				return fmt.Errorf("git cat-file: %w", err)
			}
			if oi.Type != want {
				return fmt.Errorf("object %s is a %s, not a %s: %w", oi.ID, oi.Type, want, errWrongType)
			}
			return fmt.Errorf("%s %s is %d bytes (limit %d): %w", oi.Type, oi.ID, oi.Size, max, ErrTooLarge)
		}
		data = make([]byte, oi.Size+1)
		if _, err := io.ReadFull(c.out, data); err != nil {
			return fmt.Errorf("git cat-file: %w", err)
		}
		if data[oi.Size] != '\n' {
			return fmt.Errorf("git cat-file: missing object terminator")
		}
		data = data[:oi.Size]
		return nil
	})
	return data, err
}
