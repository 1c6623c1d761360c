package jsequiv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Limits for TSConfig.
const (
	// MaxConfigSize is the largest tsconfig file read (bytes).
	MaxConfigSize = 1 << 20
	// MaxExtendsDepth is the longest `extends` chain followed (the file
	// itself is depth 0); deeper bases are ignored with a note.
	MaxExtendsDepth = 8
	// MaxConfigFiles bounds the number of config files read for one
	// TSConfig call (extends arrays can fan out).
	MaxConfigFiles = 32
)

// Layout is what a tsconfig says about where sources and outputs live and how
// they are built. Paths are relative to the repository root, with '/'.
type Layout struct {
	RootDir, OutDir string
	Module, Target  string // lower-cased tsconfig values ("" when unset)
	Notes           []string
}

// esbuildKeys are the compilerOptions esbuild's transform reads from a
// tsconfig (https://esbuild.github.io/content-types/#tsconfig-json) and that
// matter for a single-file transform, plus importHelpers, which esbuild
// ignores and Compare reads (tsc then calls helpers from tslib).
var esbuildKeys = []string{
	"alwaysStrict", "experimentalDecorators", "importHelpers", "importsNotUsedAsValues", "jsx", "jsxFactory",
	"jsxFragmentFactory", "jsxImportSource", "preserveValueImports", "strict", "target",
	"useDefineForClassFields", "verbatimModuleSyntax",
}

// wellKnownBases are the options of popular package bases that are normally
// not present in a fetched repository (they live in node_modules). Only the
// settings that change emitted code are listed.
var wellKnownBases = map[string]map[string]any{
	"@tsconfig/node16": {"target": "es2021", "module": "node16"},
	"@tsconfig/node18": {"target": "es2022", "module": "node16"},
	"@tsconfig/node20": {"target": "es2022", "module": "node16"},
	"@tsconfig/node22": {"target": "es2022", "module": "node16"},
}

// TSConfig reads the tsconfig at p (a repository-relative path) through
// readFile, following `extends` (a string or, since TypeScript 5.0, an
// array): relative bases are read when they stay inside the repository, up to
// MaxExtendsDepth; package bases ("@tsconfig/node18/tsconfig.json") are not
// readable from a repository and are ignored with a note (a few well-known
// @tsconfig/node* bases contribute their target and module). Files are JSONC
// (comments and trailing commas allowed) and at most MaxConfigSize bytes.
//
// It returns the esbuild-relevant compilerOptions as Options, and rootDir,
// outDir (resolved against the file that sets them), module and target as
// Layout. An error means the file at p itself cannot be read or parsed.
func TSConfig(p string, readFile func(path string) ([]byte, error)) (Options, Layout, error) {
	var lay Layout
	clean, ok := repoPath(p)
	if !ok {
		return Options{}, lay, fmt.Errorf("tsconfig %q: path outside the repository", p)
	}
	opts := map[string]any{}
	r := &tsReader{read: readFile, visiting: map[string]bool{}, lay: &lay}
	if err := r.load(clean, 0, opts); err != nil {
		return Options{}, lay, err
	}
	sub := map[string]any{}
	for _, k := range esbuildKeys {
		if v, ok := opts[k]; ok {
			sub[k] = v
		}
	}
	raw, err := json.Marshal(map[string]any{"compilerOptions": sub})
	if err != nil {
		return Options{}, lay, fmt.Errorf("tsconfig %s: %w", p, err)
	}
	lay.Target = lowerString(opts["target"])
	lay.Module = lowerString(opts["module"])
	if v, ok := opts["rootDir"].(string); ok {
		lay.RootDir = v
	}
	if v, ok := opts["outDir"].(string); ok {
		lay.OutDir = v
	}
	if b, _ := opts["emitDecoratorMetadata"].(bool); b {
		lay.Notes = append(lay.Notes, "emitDecoratorMetadata is not reproduced by esbuild: tsc's __metadata calls are explained only when their type argument is a plain reference")
	}
	if lay.Target == "" {
		lay.Notes = append(lay.Notes, "no target set (tsc's default is es5); compared at esnext")
	}
	return Options{TSConfigRaw: string(raw), Target: lay.Target}, lay, nil
}

type tsReader struct {
	read     func(string) ([]byte, error)
	reads    int
	visiting map[string]bool
	lay      *Layout
}

// load reads file p and merges its options into opts (bases first, so the
// file's own options override them).
func (r *tsReader) load(p string, depth int, opts map[string]any) error {
	if r.visiting[p] {
		r.note("extends cycle at %s ignored", p)
		return nil
	}
	if r.reads >= MaxConfigFiles {
		r.note("more than %d config files; %s ignored", MaxConfigFiles, p)
		return nil
	}
	r.reads++
	r.visiting[p] = true
	defer delete(r.visiting, p)
	b, err := r.read(p)
	if err != nil {
		return fmt.Errorf("tsconfig %s: %w", p, err)
	}
	if len(b) > MaxConfigSize {
		return fmt.Errorf("tsconfig %s: %d bytes: %w", p, len(b), ErrTooLarge)
	}
	var doc struct {
		Extends         json.RawMessage `json:"extends"`
		CompilerOptions map[string]any  `json:"compilerOptions"`
	}
	if err := json.Unmarshal(stripJSONC(b), &doc); err != nil {
		return fmt.Errorf("tsconfig %s: %w", p, err)
	}
	var bases []string
	if len(doc.Extends) > 0 {
		var one string
		if json.Unmarshal(doc.Extends, &one) == nil {
			bases = []string{one}
		} else if json.Unmarshal(doc.Extends, &bases) != nil {
			r.note("%s: extends is neither a string nor an array of strings; ignored", p)
		}
	}
	for _, base := range bases {
		r.extend(p, base, depth, opts)
	}
	dir := path.Dir(p)
	for k, v := range doc.CompilerOptions {
		if k == "rootDir" || k == "outDir" {
			s, ok := v.(string)
			if !ok {
				continue
			}
			rp, ok := repoPath(path.Join(dir, s))
			if !ok || path.IsAbs(s) {
				r.note("%s: %s %q is outside the repository; ignored", p, k, s)
				continue
			}
			v = rp
		}
		opts[k] = v
	}
	return nil
}

// extend merges the base named by `extends` in file p.
func (r *tsReader) extend(p, base string, depth int, opts map[string]any) {
	if depth+1 > MaxExtendsDepth {
		r.note("%s: extends %q deeper than %d levels; ignored", p, base, MaxExtendsDepth)
		return
	}
	switch {
	case strings.HasPrefix(base, "./") || strings.HasPrefix(base, "../") || base == "." || base == "..":
		target, ok := repoPath(path.Join(path.Dir(p), base))
		if !ok {
			r.note("%s: extends %q leaves the repository; ignored", p, base)
			return
		}
		candidates := []string{target}
		if !strings.HasSuffix(target, ".json") {
			candidates = append(candidates, target+".json", path.Join(target, "tsconfig.json"))
		}
		var err error
		for _, c := range candidates {
			if err = r.load(c, depth+1, opts); err == nil || errors.Is(err, ErrTooLarge) {
				break
			}
		}
		if err != nil {
			r.note("%s: extends %q not read (%v); its options are unknown", p, base, err)
		}
	case path.IsAbs(base) || strings.Contains(base, `\`) || strings.Contains(base, ":"):
		r.note("%s: extends %q is an absolute path; ignored", p, base)
	default:
		pkg := strings.TrimSuffix(strings.TrimSuffix(base, ".json"), "/tsconfig")
		if known, ok := wellKnownBases[pkg]; ok {
			for k, v := range known {
				opts[k] = v
			}
			r.note("%s: extends package %q not readable; assumed its published target/module (%v, %v)", p, base, known["target"], known["module"])
			return
		}
		r.note("%s: extends package %q not readable from the repository; its options are unknown", p, base)
	}
}

func (r *tsReader) note(format string, args ...any) {
	r.lay.Notes = append(r.lay.Notes, fmt.Sprintf(format, args...))
}

// repoPath cleans a repository-relative path and reports whether it stays
// inside the repository.
func repoPath(p string) (string, bool) {
	if p == "" || path.IsAbs(p) || strings.Contains(p, `\`) {
		return "", false
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

func lowerString(v any) string {
	s, _ := v.(string)
	return strings.ToLower(s)
}

// stripJSONC removes // and /* */ comments and trailing commas outside
// strings, turning JSONC into JSON.
func stripJSONC(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out.WriteByte(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			out.WriteByte(c)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out.WriteByte('\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				i++
			}
			i++
			out.WriteByte(' ')
		case c == '}' || c == ']':
			// Drop a trailing comma before the closing bracket.
			o := out.Bytes()
			k := len(o) - 1
			for k >= 0 && (o[k] == ' ' || o[k] == '\t' || o[k] == '\n' || o[k] == '\r') {
				k--
			}
			if k >= 0 && o[k] == ',' {
				o[k] = ' '
			}
			out.WriteByte(c)
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}
