package jsequiv

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/seqdiff"
)

// Limits for CheckSourceMap.
const (
	// MaxMapSize is the largest source map (bytes) CheckSourceMap reads.
	MaxMapSize = 64 << 20
	// MaxMapSources is the largest number of sources a map may list.
	MaxMapSources = 10_000
	// maxMapLineDiff bounds the line diff of one source against upstream.
	maxMapLineDiff = 4096
)

// MismatchKind says how a source embedded in a map relates to upstream.
type MismatchKind string

// Mismatch kinds.
const (
	// ContentDiffers: sourcesContent differs from the upstream file.
	ContentDiffers MismatchKind = "content-differs"
	// NotUpstream: the resolved path does not exist upstream.
	NotUpstream MismatchKind = "not-upstream"
	// Unresolvable: the source is a URL (webpack://, file://, ...) or
	// resolves outside the package.
	Unresolvable MismatchKind = "unresolvable"
	// NoContent: the map embeds no content for this source (cannot check).
	NoContent MismatchKind = "no-content"
)

// MapMismatch is one source of a shipped source map that does not match
// upstream.
type MapMismatch struct {
	Source string       // the entry of "sources", as written in the map
	Path   string       // resolved path relative to the package root ("" when unresolvable)
	Kind   MismatchKind //
	// For ContentDiffers: the first sourcesContent line (1-based) that is not
	// in upstream (or, when lines were only removed, where they were), its
	// text (bounded by MaxRunText) and how many sourcesContent lines are not
	// upstream.
	Line  int
	Text  string
	Lines int
}

// CheckSourceMap checks a shipped source map that embeds its sources
// (sourcesContent): each source is resolved relative to the map's location
// (mapPath, relative to the package root) and its sourceRoot, looked up with
// upstream (package-root-relative path -> content, found), and reported when
// its embedded content differs from upstream, when it has no upstream
// counterpart, when it cannot be resolved, or when no content is embedded.
// Line endings (CRLF/LF) and a final newline are not differences.
//
// The map is hostile input: at most MaxMapSize bytes and MaxMapSources
// sources; an error means the map itself is unusable.
func CheckSourceMap(mapJSON []byte, mapPath string, upstream func(path string) ([]byte, bool)) ([]MapMismatch, error) {
	if len(mapJSON) > MaxMapSize {
		return nil, fmt.Errorf("source map %s: %d bytes: %w", mapPath, len(mapJSON), ErrTooLarge)
	}
	var m struct {
		SourceRoot     string    `json:"sourceRoot"`
		Sources        []*string `json:"sources"`
		SourcesContent []*string `json:"sourcesContent"`
	}
	if err := json.Unmarshal(mapJSON, &m); err != nil {
		return nil, fmt.Errorf("source map %s: %w: %v", mapPath, ErrSyntax, err)
	}
	if len(m.Sources) > MaxMapSources {
		return nil, fmt.Errorf("source map %s: %d sources: %w", mapPath, len(m.Sources), ErrTooLarge)
	}
	mapDir, ok := repoPath(path.Dir(mapPath))
	if !ok {
		return nil, fmt.Errorf("source map %q: path outside the package", mapPath)
	}
	var out []MapMismatch
	for i, src := range m.Sources {
		name := ""
		if src != nil {
			name = *src
		}
		var content *string
		if i < len(m.SourcesContent) {
			content = m.SourcesContent[i]
		}
		p, ok := resolveMapSource(mapDir, m.SourceRoot, name)
		if !ok {
			out = append(out, MapMismatch{Source: name, Kind: Unresolvable})
			continue
		}
		if content == nil {
			out = append(out, MapMismatch{Source: name, Path: p, Kind: NoContent})
			continue
		}
		up, found := upstream(p)
		if !found {
			out = append(out, MapMismatch{Source: name, Path: p, Kind: NotUpstream})
			continue
		}
		if mm, differs := compareLines(*content, string(up)); differs {
			mm.Source, mm.Path, mm.Kind = name, p, ContentDiffers
			out = append(out, mm)
		}
	}
	return out, nil
}

// resolveMapSource resolves a "sources" entry against the map's directory and
// sourceRoot; ok is false for URLs and paths leaving the package.
func resolveMapSource(mapDir, root, src string) (string, bool) {
	if src == "" || isURL(src) || isURL(root) || path.IsAbs(src) || strings.Contains(src, `\`) {
		return "", false
	}
	if path.IsAbs(root) {
		return "", false
	}
	return repoPath(path.Join(mapDir, root, src))
}

// isURL reports whether s has a scheme (webpack://, file:, https://, ...).
func isURL(s string) bool {
	i := strings.Index(s, ":")
	if i <= 0 {
		return false
	}
	for _, c := range s[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// compareLines diffs embedded content against upstream by lines.
func compareLines(content, up string) (MapMismatch, bool) {
	a, b := normLines(content), normLines(up)
	if len(a) == len(b) {
		same := true
		for i := range a {
			if a[i] != b[i] {
				same = false
				break
			}
		}
		if same {
			return MapMismatch{}, false
		}
	}
	edits, _ := seqdiff.Diff(a, b, maxMapLineDiff)
	var mm MapMismatch
	for _, e := range edits {
		switch e.Op {
		case seqdiff.Delete:
			if mm.Lines == 0 {
				mm.Line = e.A0 + 1
				mm.Text = lineText(a, e.A0+1, e.A0+1)
			}
			mm.Lines += e.A1 - e.A0
		case seqdiff.Insert:
			if mm.Line == 0 {
				mm.Line = e.A0 + 1
			}
		}
	}
	return mm, true
}

func normLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
