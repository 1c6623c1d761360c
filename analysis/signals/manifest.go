package signals

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
)

// manifestPath is the package manifest inside a package.
const manifestPath = "package.json"

// depSections are the package.json sections whose entries npm installs with the package.
func depSections() []string {
	return []string{"dependencies", "optionalDependencies", "peerDependencies"}
}

// keyPos is where a key of package.json is written.
type keyPos struct {
	line, off int
}

// manifest is what signals reads from a package's package.json.
type manifest struct {
	present bool
	err     error // set when package.json exists but could not be read
	data    []byte
	scripts map[string]string
	// deps maps a dependency name to its spec, for every section in depSections (first section wins).
	deps map[string]depSpec
	// entries are the package-relative files package.json names as code (main, bin): they are JS
	// whatever their extension.
	entries map[string]bool
	// keys locates the keys of the top-level object and of the objects directly inside it, as
	// "scripts" and "scripts\x00postinstall" (the last occurrence, which is the one JSON.parse keeps).
	keys map[string]keyPos
}

// depSpec is one dependency entry.
type depSpec struct {
	section, spec string
}

// readManifest reads package.json from p. A missing file gives a manifest with present == false; an
// unreadable one sets err.
func readManifest(p *archive.Package) manifest {
	m := manifest{scripts: map[string]string{}, deps: map[string]depSpec{}, entries: map[string]bool{}, keys: map[string]keyPos{}}
	if p == nil {
		return m
	}
	f, ok := p.File(manifestPath)
	if !ok {
		return m
	}
	m.present = true
	if len(f.Data) > MaxFileScanBytes {
		m.err = fmt.Errorf("package.json is %d bytes, above the scan limit of %d", len(f.Data), MaxFileScanBytes)
		return m
	}
	m.data = bytes.TrimPrefix(f.Data, []byte("\xef\xbb\xbf"))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(m.data, &top); err != nil {
		m.err = fmt.Errorf("parse package.json: %w", err)
		return m
	}
	if top == nil {
		m.err = errors.New("parse package.json: not an object")
		return m
	}
	for k, v := range stringMap(top["scripts"]) {
		m.scripts[k] = v
	}
	for _, sec := range depSections() {
		for name, spec := range stringMap(top[sec]) {
			if _, dup := m.deps[name]; !dup {
				m.deps[name] = depSpec{section: sec, spec: spec}
			}
		}
	}
	var main string
	if json.Unmarshal(top["main"], &main) == nil {
		m.addEntry(p, main)
	}
	var bin string
	if json.Unmarshal(top["bin"], &bin) == nil {
		m.addEntry(p, bin)
	} else {
		for _, b := range stringMap(top["bin"]) {
			m.addEntry(p, b)
		}
	}
	m.keys = jsonKeys(m.data)
	return m
}

// addEntry records a package-relative path that package.json names as code, when it is a file of p.
func (m *manifest) addEntry(p *archive.Package, rel string) {
	if rel == "" || len(rel) > 1024 {
		return
	}
	c := path.Clean(strings.TrimPrefix(rel, "./"))
	if _, ok := p.File(c); ok {
		m.entries[c] = true
	}
}

// stringMap decodes a JSON object, keeping only string values.
func stringMap(raw json.RawMessage) map[string]string {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	return out
}

// keyAt returns where a key of package.json is written: keyAt("scripts", "postinstall"). It falls back
// to the section key, then to line 1.
func (m *manifest) keyAt(section, key string) keyPos {
	if p, ok := m.keys[section+"\x00"+key]; ok && key != "" {
		return p
	}
	if p, ok := m.keys[section]; ok {
		return p
	}
	return keyPos{line: 1}
}

// jsonKeys walks a JSON document once and records where each key of the top-level object and of the
// objects directly inside it is written. Invalid JSON yields what was recorded before the error.
func jsonKeys(data []byte) map[string]keyPos {
	keys := map[string]keyPos{}
	line := 1
	var stack []byte   // open containers, '{' or '['
	var parent string  // the last key of the top-level object
	expectKey := false // the next string is a key
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line++
		case '{', '[':
			stack = append(stack, c)
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case ':':
			expectKey = false
		case '"':
			start := i
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				} else if data[i] == '\n' {
					line++
				}
			}
			if !expectKey || len(stack) > 2 || (len(stack) == 2 && stack[0] != '{') {
				continue
			}
			var k string
			if i >= len(data) || json.Unmarshal(data[start:i+1], &k) != nil {
				return keys
			}
			name := k
			if len(stack) == 1 {
				parent = k
			} else {
				name = parent + "\x00" + k
			}
			keys[name] = keyPos{line: line, off: start}
		}
	}
	return keys
}
