package deps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
)

// MaxFileSize bounds one file read from a tree (a 50 MB lockfile fits).
const MaxFileSize = 64 << 20

// GitPR is a pull request read from a local git repository: the changes from the merge-base of Base and
// Head to Head, like GitHub's "Files changed".
type GitPR struct {
	Dir  string // the repository (work tree or bare)
	Base string // merge-base commit id, resolved by OpenGit
	Head string // head commit id
}

// OpenGit resolves base and head in the repository at dir. An empty head means HEAD; an empty base means the
// default branch (origin/HEAD, else main, else master). The base used is the merge-base of the two.
func OpenGit(ctx context.Context, dir, base, head string) (*GitPR, error) {
	if head == "" {
		head = "HEAD"
	}
	g := &GitPR{Dir: dir}
	headID, err := g.revParse(ctx, head)
	if err != nil {
		return nil, fmt.Errorf("head %q: %w", head, err)
	}
	if base == "" {
		for _, b := range []string{"origin/HEAD", "main", "master", "origin/main", "origin/master"} {
			if _, err := g.revParse(ctx, b); err == nil {
				base = b
				break
			}
		}
		if base == "" {
			return nil, errors.New("no base given and no default branch (origin/HEAD, main, master) found")
		}
	}
	baseID, err := g.revParse(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w", base, err)
	}
	mb, err := g.git(ctx, "merge-base", baseID, headID)
	if err != nil {
		return nil, fmt.Errorf("merge-base of %s and %s: %w", base, head, err)
	}
	g.Base, g.Head = strings.TrimSpace(string(mb)), headID
	return g, nil
}

func (g *GitPR) revParse(ctx context.Context, rev string) (string, error) {
	if strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("revision may not start with '-'")
	}
	out, err := g.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("not a commit")
	}
	return strings.TrimSpace(string(out)), nil
}

// ChangedPaths lists paths that differ between the merge-base and head (renames as delete + add).
func (g *GitPR) ChangedPaths(ctx context.Context) ([]string, error) {
	out, err := g.git(ctx, "diff", "--name-only", "--no-renames", "-z", g.Base, g.Head, "--")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			paths = append(paths, string(p))
		}
	}
	return paths, nil
}

// ReadBase reads a file at the merge-base.
func (g *GitPR) ReadBase(ctx context.Context, path string) ([]byte, error) {
	return g.read(ctx, g.Base, path)
}

// ReadHead reads a file at head.
func (g *GitPR) ReadHead(ctx context.Context, path string) ([]byte, error) {
	return g.read(ctx, g.Head, path)
}

func (g *GitPR) read(ctx context.Context, commit, path string) ([]byte, error) {
	obj := commit + ":" + path
	typ, err := g.git(ctx, "cat-file", "-t", obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	if t := strings.TrimSpace(string(typ)); t != "blob" {
		return nil, fmt.Errorf("%s is a %s, not a file: %w", path, t, fs.ErrNotExist)
	}
	size, err := g.git(ctx, "cat-file", "-s", obj)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(size)), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("size of %s: %w", path, err)
	}
	if n > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes; at most %d are read", path, n, MaxFileSize)
	}
	return g.git(ctx, "cat-file", "blob", obj)
}

func (g *GitPR) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.Dir, "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"}, args...)...)
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, fmt.Errorf("git %s: %v: %s", args[0], err, msg)
	}
	return out, nil
}
