package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrMalformed reports registry JSON that is not the shape npm documents (for example a packument that
// is not a JSON object, or whose "versions" is not an object).
var ErrMalformed = errors.New("malformed registry document")

// Packument is an npm package document: every published version's manifest plus the dist-tags and the
// publish times. A Packument returned by Client.Packument is shared by later calls for the same name and
// must not be modified.
type Packument struct {
	Name string
	// DistTags maps a tag ("latest") to a version; entries whose value is not a string are dropped.
	DistTags map[string]string
	// Versions maps a version to its manifest. Entries that are not objects, or whose own "name" or
	// "version" contradicts the packument, are dropped.
	Versions map[string]*Manifest
	// Time maps "created", "modified" and each version to an RFC 3339 time string, as sent.
	Time map[string]string
}

// Manifest is one version's document as the registry publishes it. Fields are typed loosely where npm
// data is loose: values of an unexpected JSON type decode to the zero value rather than failing the
// whole packument, and fields that are "string or object" in the wild are kept raw.
type Manifest struct {
	Name, Version, GitHead, Description string
	// Repository is a string ("github:owner/repo", a URL) or an object {type, url, directory}.
	Repository json.RawMessage
	// Homepage and Bugs are strings or objects, kept raw.
	Homepage json.RawMessage
	Bugs     json.RawMessage
	// Scripts and the dependency maps keep only string values.
	Scripts              map[string]string
	Dependencies         map[string]string
	OptionalDependencies map[string]string
	PeerDependencies     map[string]string
	DevDependencies      map[string]string
	// Bin is a string or an object of command names to paths, kept raw.
	Bin  json.RawMessage
	Main string
	// Exports is npm's conditional exports value, kept raw.
	Exports json.RawMessage
	// Keywords accepts an array of strings or a single comma/space separated string.
	Keywords []string
	// MCPName is the "mcpName" field the MCP registry uses to tie a package to a server name.
	MCPName string `json:"mcpName"`
	Dist    Dist
	// NpmUser is the account (or trusted publisher) that published this version, from "_npmUser".
	NpmUser     *Person `json:"_npmUser"`
	Maintainers []Person
	// Deprecated is the deprecation message (a string; sometimes false), kept raw.
	Deprecated json.RawMessage
	// Raw is the whole version object as received (bounded by the packument size limit).
	Raw json.RawMessage
}

// Dist is a version's "dist" object: where the tarball is and how to verify it.
type Dist struct {
	Tarball   string
	Integrity string // Subresource Integrity string, e.g. "sha512-…"; may list several hashes
	Shasum    string // hex SHA-1 of the tarball (legacy)
	// Attestations points at the version's Sigstore attestations (npm provenance), when published.
	Attestations *Attestations
	// Signatures are the registry's ECDSA signatures over "name@version:integrity".
	Signatures   []Signature
	FileCount    int
	UnpackedSize int64
}

// Attestations is dist.attestations: the URL of the attestation bundle and the provenance predicate.
type Attestations struct {
	URL string
	// ProvenancePredicateType is dist.attestations.provenance.predicateType, e.g.
	// "https://slsa.dev/provenance/v1".
	ProvenancePredicateType string
}

// Signature is one entry of dist.signatures.
type Signature struct {
	KeyID string
	Sig   string
}

// Person is an npm user: an object {name, email, url} or a string "Name <email> (url)".
type Person struct {
	Name, Email, URL string
}

// UnmarshalJSON decodes a version document leniently (see Manifest); only a non-object is an error.
func (m *Manifest) UnmarshalJSON(data []byte) error {
	fields, err := decodeObject(data)
	if err != nil {
		return err
	}
	*m = Manifest{
		Name:                 asString(fields["name"]),
		Version:              asString(fields["version"]),
		GitHead:              asString(fields["gitHead"]),
		Description:          asString(fields["description"]),
		Repository:           rawOrNil(fields["repository"]),
		Homepage:             rawOrNil(fields["homepage"]),
		Bugs:                 rawOrNil(fields["bugs"]),
		Scripts:              asStringMap(fields["scripts"]),
		Dependencies:         asStringMap(fields["dependencies"]),
		OptionalDependencies: asStringMap(fields["optionalDependencies"]),
		PeerDependencies:     asStringMap(fields["peerDependencies"]),
		DevDependencies:      asStringMap(fields["devDependencies"]),
		Bin:                  rawOrNil(fields["bin"]),
		Main:                 asString(fields["main"]),
		Exports:              rawOrNil(fields["exports"]),
		Keywords:             asKeywords(fields["keywords"]),
		MCPName:              asString(fields["mcpName"]),
		Dist:                 asDist(fields["dist"]),
		NpmUser:              asPersonPtr(fields["_npmUser"]),
		Maintainers:          asPeople(fields["maintainers"]),
		Deprecated:           rawOrNil(fields["deprecated"]),
		Raw:                  bytes.Clone(data),
	}
	return nil
}

// decodePackument decodes a full packument for name.
func decodePackument(name string, data []byte) (*Packument, error) {
	fields, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	p := &Packument{
		Name:     asString(fields["name"]),
		DistTags: asStringMap(fields["dist-tags"]),
		Time:     asStringMap(fields["time"]),
		Versions: make(map[string]*Manifest),
	}
	if p.Name == "" {
		p.Name = name
	}
	if p.Name != name {
		return nil, fmt.Errorf("%w: packument for %s names %s", ErrMalformed, name, quoteBounded(p.Name))
	}
	if raw, ok := fields["versions"]; ok && !isNull(raw) {
		versions, err := decodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("versions: %w", err)
		}
		for v, raw := range versions {
			var m Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				continue
			}
			if m.Version == "" {
				m.Version = v
			}
			if m.Name == "" {
				m.Name = name
			}
			if m.Version != v || m.Name != name {
				continue
			}
			p.Versions[v] = &m
		}
	}
	return p, nil
}

// decodeObject decodes a JSON object into its raw members; anything else is ErrMalformed.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return fields, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func rawOrNil(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	return raw
}

func asString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func asStringMap(raw json.RawMessage) map[string]string {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if len(v) > 0 && v[0] == '"' {
			out[k] = asString(v)
		}
	}
	return out
}

func asKeywords(raw json.RawMessage) []string {
	if len(raw) > 0 && raw[0] == '"' {
		return strings.FieldsFunc(asString(raw), func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
		})
	}
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if len(it) > 0 && it[0] == '"' {
			out = append(out, asString(it))
		}
	}
	return out
}

// asInt64 reads a non-negative JSON number that fits in an int64; anything else is 0.
func asInt64(raw json.RawMessage) int64 {
	var f float64
	if len(raw) == 0 || json.Unmarshal(raw, &f) != nil || f < 0 || f >= math.MaxInt64 || f != math.Trunc(f) {
		return 0
	}
	return int64(f)
}

func asDist(raw json.RawMessage) Dist {
	fields, err := decodeObject(raw)
	if err != nil {
		return Dist{}
	}
	d := Dist{
		Tarball:      asString(fields["tarball"]),
		Integrity:    asString(fields["integrity"]),
		Shasum:       asString(fields["shasum"]),
		UnpackedSize: asInt64(fields["unpackedSize"]),
	}
	if n := asInt64(fields["fileCount"]); n <= math.MaxInt32 {
		d.FileCount = int(n)
	}
	if att, err := decodeObject(fields["attestations"]); err == nil {
		a := &Attestations{URL: asString(att["url"])}
		if prov, err := decodeObject(att["provenance"]); err == nil {
			a.ProvenancePredicateType = asString(prov["predicateType"])
		}
		d.Attestations = a
	}
	var sigs []json.RawMessage
	if raw := fields["signatures"]; len(raw) > 0 && raw[0] == '[' && json.Unmarshal(raw, &sigs) == nil {
		for _, s := range sigs {
			if obj, err := decodeObject(s); err == nil {
				d.Signatures = append(d.Signatures, Signature{KeyID: asString(obj["keyid"]), Sig: asString(obj["sig"])})
			}
		}
	}
	return d
}

func asPersonPtr(raw json.RawMessage) *Person {
	if p, ok := asPerson(raw); ok {
		return &p
	}
	return nil
}

func asPeople(raw json.RawMessage) []Person {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []Person
	for _, it := range items {
		if p, ok := asPerson(it); ok {
			out = append(out, p)
		}
	}
	return out
}

// asPerson reads {name, email, url} or "Name <email> (url)".
func asPerson(raw json.RawMessage) (Person, bool) {
	if len(raw) > 0 && raw[0] == '"' {
		return parsePersonString(asString(raw)), true
	}
	obj, err := decodeObject(raw)
	if err != nil {
		return Person{}, false
	}
	return Person{Name: asString(obj["name"]), Email: asString(obj["email"]), URL: asString(obj["url"])}, true
}

func parsePersonString(s string) Person {
	var p Person
	if i := strings.IndexByte(s, '('); i >= 0 {
		if j := strings.IndexByte(s[i:], ')'); j > 0 {
			p.URL = strings.TrimSpace(s[i+1 : i+j])
			s = s[:i] + s[i+j+1:]
		}
	}
	if i := strings.IndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			p.Email = strings.TrimSpace(s[i+1 : i+j])
			s = s[:i] + s[i+j+1:]
		}
	}
	p.Name = strings.TrimSpace(s)
	return p
}
