package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	"deps.dev/util/semver"

	"github.com/mcpvet/mcpvet/analysis/archive"
	"github.com/mcpvet/mcpvet/analysis/finding"
)

// installScripts are the lifecycle scripts npm runs when a registry package is installed.
var installScripts = []string{"preinstall", "install", "postinstall"}

// dependencyFields are the fields whose packages npm installs with this one.
var dependencyFields = []string{"dependencies", "optionalDependencies"}

// entryFields say which file runs.
var entryFields = []string{"bin", "main", "exports", "type", "module"}

// manifest compares package.json as data: key order, version, gitHead, publish-time rewrites of
// workspace:/catalog: specifiers and dropped prepare/prepack/prepublishOnly scripts are normal.
func (c *comparer) manifest(ctx context.Context, f archive.File) error {
	repoPath := path.Join(c.in.Dir, "package.json")
	// Without an upstream package.json, the published one is compared with an empty one: every install
	// script and dependency it declares is then unaccounted for.
	upData := []byte("{}")
	evidence := fmt.Sprintf("%s has no %s at commit %s", c.in.Repo.Claim(), repoPath, c.in.Commit)
	if up, ok := c.tree["package.json"]; ok {
		data, err := c.repo.ReadBlob(ctx, up.ID)
		if err != nil {
			return fmt.Errorf("read upstream %s: %w", repoPath, err)
		}
		upData = data
		evidence = fmt.Sprintf("%s:%s at commit %s (blob %s)", c.in.Repo.Claim(), repoPath, c.in.Commit, up.ID)
	}
	pub, perr := decodeObject(f.Data)
	upm, uerr := decodeObject(upData)
	if perr != nil || uerr != nil {
		c.res.Stats.Different++
		fd := finding.New(finding.RuleManifestDeps, "package.json could not be compared as data: "+firstErr(perr, uerr).Error())
		fd.Path = f.Path
		fd.Evidence = evidence
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	var fs []finding.Finding
	add := func(rule, msg string, key ...string) {
		fd := finding.New(rule, msg)
		fd.Path = f.Path
		fd.Line = keyLine(f.Data, key...)
		fd.Evidence = evidence
		fs = append(fs, fd)
	}
	if un, ok := upm["name"].(string); ok && un != "" {
		if pn, _ := pub["name"].(string); pn != un {
			add(finding.RuleNameMismatch, fmt.Sprintf("the upstream package.json names the package %q, not %q: the repository may publish another package, and this one may be a copy", un, pn), "name")
		}
	}
	pubScripts, upScripts := stringMap(pub["scripts"]), stringMap(upm["scripts"])
	for _, s := range installScripts {
		p, inPub := pubScripts[s]
		u, inUp := upScripts[s]
		switch {
		case inPub && !inUp:
			add(finding.RuleManifestScripts, fmt.Sprintf("published package.json adds the install script %s: %q, which upstream does not have", s, p), "scripts", s)
		case inPub && p != u:
			add(finding.RuleManifestScripts, fmt.Sprintf("published package.json changes the install script %s from %q to %q", s, u, p), "scripts", s)
		}
	}
	for _, field := range dependencyFields {
		pd, ud := stringMap(pub[field]), stringMap(upm[field])
		for _, name := range sortedKeys(pd) {
			pv := pd[name]
			uv, inUp := ud[name]
			switch {
			case !inUp:
				add(finding.RuleManifestDeps, fmt.Sprintf("published package.json adds %s %s@%s, which upstream does not declare", singular(field), name, pv), field, name)
			case pv != uv && !publishRewrite(uv, pv):
				add(finding.RuleManifestDeps, fmt.Sprintf("published package.json changes %s %s from %q to %q", singular(field), name, uv, pv), field, name)
			}
		}
	}
	for _, field := range entryFields {
		if !reflect.DeepEqual(pub[field], upm[field]) {
			add(finding.RuleManifestEntry, fmt.Sprintf("published package.json %q is %s; upstream has %s", field, compact(pub[field]), compact(upm[field])), field)
		}
	}
	if len(fs) == 0 {
		c.res.Stats.Identical++
	} else {
		c.res.Stats.Different++
	}
	c.res.Findings = append(c.res.Findings, fs...)
	return nil
}

// publishRewrite reports whether published is what a package manager writes at publish time in place of
// the upstream specifier: a workspace: or catalog: specifier becomes a plain version or range — never a URL,
// a git or file source, or an alias to another package.
func publishRewrite(upstream, published string) bool {
	if !strings.HasPrefix(upstream, "workspace:") && !strings.HasPrefix(upstream, "catalog:") {
		return false
	}
	if published == "" || strings.ContainsAny(published, ":/\\") {
		return false
	}
	_, err := semver.NPM.ParseConstraint(published)
	return err == nil
}

func decodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse package.json: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("package.json is not an object")
	}
	return m, nil
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = compact(v)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func singular(field string) string {
	if field == "optionalDependencies" {
		return "optional dependency"
	}
	return "dependency"
}

func compact(v any) string {
	if v == nil {
		return "absent"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// keyLine returns the 1-based line of the key at path (e.g. "scripts", "postinstall") in a JSON document,
// following the structure rather than matching text; 0 when it is not there. LF and CRLF both end lines.
func keyLine(data []byte, path ...string) int {
	type frame struct{ object, wantKey bool }
	var stack []frame
	matched := 0 // path elements matched by the keys on the way to the current position
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, frame{object: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		}
		depth := len(stack)
		if key, ok := tok.(string); ok && depth > 0 && stack[depth-1].wantKey {
			stack[depth-1].wantKey = false
			matched = min(matched, depth-1)
			if matched == depth-1 && depth <= len(path) && key == path[depth-1] {
				matched = depth
				if matched == len(path) {
					return 1 + bytes.Count(data[:keyStart(data, off)], []byte("\n"))
				}
			}
			continue
		}
		valueDone()
	}
}

// keyStart skips the separator and whitespace the decoder's offset may point at, to the key's opening quote.
func keyStart(data []byte, off int64) int {
	i := int(off)
	for i < len(data) && data[i] != '"' {
		i++
	}
	return i
}
