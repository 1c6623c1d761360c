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
	up, ok := c.tree["package.json"]
	if !ok {
		c.absent = append(c.absent, f.Path)
		return nil
	}
	upData, err := c.repo.ReadBlob(ctx, up.ID)
	if err != nil {
		return fmt.Errorf("read upstream %s: %w", repoPath, err)
	}
	pub, perr := decodeObject(f.Data)
	upm, uerr := decodeObject(upData)
	evidence := fmt.Sprintf("%s:%s at commit %s (blob %s)", c.in.Repo.Claim(), repoPath, c.in.Commit, up.ID)
	if perr != nil || uerr != nil {
		c.res.Stats.Different++
		fd := finding.New(finding.RuleManifestDeps, "package.json could not be compared as data: "+firstErr(perr, uerr).Error())
		fd.Path = f.Path
		fd.Evidence = evidence
		c.res.Findings = append(c.res.Findings, fd)
		return nil
	}
	var fs []finding.Finding
	add := func(rule, msg, key string) {
		fd := finding.New(rule, msg)
		fd.Path = f.Path
		fd.Line = keyLine(f.Data, key)
		fd.Evidence = evidence
		fs = append(fs, fd)
	}
	pubScripts, upScripts := stringMap(pub["scripts"]), stringMap(upm["scripts"])
	for _, s := range installScripts {
		p, inPub := pubScripts[s]
		u, inUp := upScripts[s]
		switch {
		case inPub && !inUp:
			add(finding.RuleManifestScripts, fmt.Sprintf("published package.json adds the install script %s: %q, which upstream does not have", s, p), s)
		case inPub && p != u:
			add(finding.RuleManifestScripts, fmt.Sprintf("published package.json changes the install script %s from %q to %q", s, u, p), s)
		}
	}
	for _, field := range dependencyFields {
		pd, ud := stringMap(pub[field]), stringMap(upm[field])
		for _, name := range sortedKeys(pd) {
			pv := pd[name]
			uv, inUp := ud[name]
			switch {
			case !inUp:
				add(finding.RuleManifestDeps, fmt.Sprintf("published package.json adds %s %s@%s, which upstream does not declare", singular(field), name, pv), name)
			case pv != uv && !publishRewrite(uv):
				add(finding.RuleManifestDeps, fmt.Sprintf("published package.json changes %s %s from %q to %q", singular(field), name, uv, pv), name)
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

// publishRewrite reports whether an upstream specifier is one that package managers replace at publish time.
func publishRewrite(spec string) bool {
	return strings.HasPrefix(spec, "workspace:") || strings.HasPrefix(spec, "catalog:")
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

// keyLine finds the first line of data where "key" appears as a JSON key; 0 when not found.
func keyLine(data []byte, key string) int {
	needle := []byte(`"` + key + `"`)
	for i, line := range bytes.Split(data, []byte("\n")) {
		if j := bytes.Index(line, needle); j >= 0 && bytes.Contains(line[j+len(needle):], []byte(":")) {
			return i + 1
		}
	}
	return 0
}
