package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version is one distinct blob a path had, with the commit that introduced it.
type Version struct {
	Blob   string
	Commit string
	Time   time.Time // committer time of Commit
}

// PathAt is a place a blob appeared: a repository-root-relative path and the
// commit that introduced the blob there.
type PathAt struct {
	Path   string
	Commit string
	Time   time.Time
}

// Index is the history of a repository by path and by blob id, read in one
// pass over every ref. It is immutable once built.
type Index struct {
	commits   []indexCommit
	paths     []string           // interned paths
	pairs     []indexPair        // distinct (path, blob) with introducing commit
	byPath    map[string][]int32 // path -> pairs
	byBlob    map[[20]byte][]int32
	truncated bool
}

type indexCommit struct {
	sha  string
	time int64
}

type indexPair struct {
	path   int32
	blob   [20]byte
	commit int32
}

// Index returns the repository's history index, built on first use (one
// `git log --all --raw` pass, bounded by Limits.MaxIndexCommits and
// Limits.MaxIndexChanges; see Index.Truncated) and then memoised.
func (r *Repo) Index(ctx context.Context) (*Index, error) {
	r.indexMu.Lock()
	defer r.indexMu.Unlock()
	if r.index != nil {
		return r.index, nil
	}
	start := time.Now()
	ix, err := buildIndex(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", r.claim, err)
	}
	r.logger.Debug("indexed repository", "repo", r.claim.String(), "commits", len(ix.commits),
		"pairs", len(ix.pairs), "truncated", ix.truncated, "ms", time.Since(start).Milliseconds())
	r.index = ix
	return ix, nil
}

func buildIndex(ctx context.Context, r *Repo) (*Index, error) {
	maxCommits, maxChanges := r.limits.MaxIndexCommits, r.limits.MaxIndexChanges
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := r.rn.command(ctx, r.gitDir, "log", "--all", "--raw", "--no-abbrev", "--no-renames", "-m", "--root",
		"-z", "--no-color", "--max-count="+strconv.Itoa(maxCommits+1), "--format=%x01%H %ct")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	stderr := &limitedBuffer{max: maxStderrBytes}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	ix := &Index{byPath: map[string][]int32{}, byBlob: map[[20]byte][]int32{}}
	pathID := map[string]int32{}
	type pairKey struct {
		path int32
		blob [20]byte
	}
	pairIdx := map[pairKey]int32{}
	commitIdx := map[string]int32{}
	cur := int32(-1)
	changes := 0
	stopped := false
	br := bufio.NewReaderSize(stdout, 256<<10)
	var parseErr error
	for !stopped {
		tok, err := readToken(br, maxPathBytes+256)
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTokenTooLong) {
			continue
		}
		if err != nil {
			parseErr = fmt.Errorf("git log: %w", err)
			break
		}
		tok = bytes.TrimLeft(tok, "\n")
		switch {
		case len(tok) > 0 && tok[0] == 1: // commit header "\x01<sha> <ct>"
			f := strings.Fields(string(tok[1:]))
			if len(f) != 2 || !isHex(f[0]) {
				parseErr = fmt.Errorf("git log: unexpected header %q", truncate(string(tok), 80))
				stopped = true
				break
			}
			if i, ok := commitIdx[f[0]]; ok { // the same merge again (-m)
				cur = i
				break
			}
			if len(ix.commits) >= maxCommits {
				ix.truncated = true
				stopped = true
				break
			}
			ct, _ := strconv.ParseInt(f[1], 10, 64)
			cur = int32(len(ix.commits))
			commitIdx[f[0]] = cur
			ix.commits = append(ix.commits, indexCommit{sha: f[0], time: ct})
		case len(tok) > 0 && tok[0] == ':': // ":<m1> <m2> <old> <new> <status>" then the path
			p, err := readToken(br, maxPathBytes)
			if errors.Is(err, errTokenTooLong) {
				continue
			}
			if err != nil {
				parseErr = fmt.Errorf("git log: %w", err)
				stopped = true
				break
			}
			if cur < 0 {
				continue
			}
			changes++
			if changes > maxChanges {
				ix.truncated = true
				stopped = true
				break
			}
			f := strings.Fields(string(tok[1:]))
			if len(f) < 5 || !isBlobMode(f[1]) || len(f[3]) != 40 {
				continue // deletion, submodule, or non-SHA-1
			}
			var blob [20]byte
			if _, err := hex.Decode(blob[:], []byte(f[3])); err != nil || blob == ([20]byte{}) {
				continue
			}
			ps := string(p)
			pid, ok := pathID[ps]
			if !ok {
				pid = int32(len(ix.paths))
				pathID[ps] = pid
				ix.paths = append(ix.paths, ps)
			}
			k := pairKey{pid, blob}
			if i, ok := pairIdx[k]; ok {
				// Keep the oldest introduction (log runs newest first, but
				// branches interleave by date).
				if ix.commits[cur].time <= ix.commits[ix.pairs[i].commit].time {
					ix.pairs[i].commit = cur
				}
				continue
			}
			pairIdx[k] = int32(len(ix.pairs))
			ix.pairs = append(ix.pairs, indexPair{path: pid, blob: blob, commit: cur})
		}
	}
	if stopped || parseErr != nil {
		cancel()
		cmd.Wait()
	} else if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isEmptyRepoError(stderr.buf.String()) {
			return ix, nil
		}
		return nil, &gitError{Sub: "log", Stderr: r.rn.scrub(stderr.buf.String()), Err: err}
	}
	if parseErr != nil {
		return nil, parseErr
	}
	for i, p := range ix.pairs {
		path := ix.paths[p.path]
		ix.byPath[path] = append(ix.byPath[path], int32(i))
		ix.byBlob[p.blob] = append(ix.byBlob[p.blob], int32(i))
	}
	return ix, nil
}

// isEmptyRepoError recognises git log's complaint about a repository with no
// refs at all.
func isEmptyRepoError(stderr string) bool {
	return strings.Contains(stderr, "does not have any commits")
}

func isBlobMode(m string) bool {
	return m == "100644" || m == "100755" || m == "120000" || m == "100664"
}

// Truncated reports whether the index stopped at a limit, so that some
// (older) history is missing from it.
func (ix *Index) Truncated() bool { return ix.truncated }

// Commits returns the number of commits indexed.
func (ix *Index) Commits() int { return len(ix.commits) }

func (ix *Index) version(i int32) Version {
	p := ix.pairs[i]
	c := ix.commits[p.commit]
	return Version{Blob: hex.EncodeToString(p.blob[:]), Commit: c.sha, Time: time.Unix(c.time, 0).UTC()}
}

// PathVersions returns every distinct blob the repository-root-relative path
// ever had, with the commit that introduced it, newest first.
func (ix *Index) PathVersions(path string) []Version {
	idx := ix.byPath[path]
	out := make([]Version, 0, len(idx))
	for _, i := range idx {
		out = append(out, ix.version(i))
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.After(out[b].Time) })
	return out
}

// BlobPaths returns every place blob id ever appeared (path and introducing
// commit), newest first.
func (ix *Index) BlobPaths(id string) []PathAt {
	var blob [20]byte
	if len(id) != 40 {
		return nil
	}
	if _, err := hex.Decode(blob[:], []byte(strings.ToLower(id))); err != nil {
		return nil
	}
	idx := ix.byBlob[blob]
	out := make([]PathAt, 0, len(idx))
	for _, i := range idx {
		v := ix.version(i)
		out = append(out, PathAt{Path: ix.paths[ix.pairs[i].path], Commit: v.Commit, Time: v.Time})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Time.Equal(out[b].Time) {
			return out[a].Time.After(out[b].Time)
		}
		return out[a].Path < out[b].Path
	})
	return out
}

// Paths returns, sorted, every path ever seen that equals suffix or ends
// with "/"+suffix (whole path components: "package.json" matches
// "packages/x/package.json" but not "notpackage.json"). An empty suffix
// returns every path.
func (ix *Index) Paths(suffix string) []string {
	var out []string
	for p := range ix.byPath {
		if suffix == "" || p == suffix || strings.HasSuffix(p, "/"+suffix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// hasDir reports whether any indexed path lies under dir.
func (ix *Index) hasDir(dir string) bool {
	if dir == "" {
		return len(ix.byPath) > 0
	}
	prefix := dir + "/"
	for p := range ix.byPath {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
