package testenv

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// npmAbbreviatedMediaType is the Accept/Content-Type value of npm's abbreviated ("corgi") packument.
const npmAbbreviatedMediaType = "application/vnd.npm.install-v1+json"

// npmDefaultPublishTime is used for versions published with a zero Version.Time.
func npmDefaultPublishTime() time.Time { return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC) }

// NPMRegistry is an in-process npm registry speaking the registry.npmjs.org read protocol: full and
// abbreviated packuments, single-version documents, tarballs with dist.integrity and dist.shasum, scoped
// names as "@scope%2fname", and npm's JSON 404s. It is an http.Handler, usable behind any server, and can
// start its own loopback httptest.Server with Start. It is safe for concurrent use.
//
// The tarball URLs it publishes use the scheme and Host of the request being answered, so the same
// registry works behind any listener.
type NPMRegistry struct {
	prefix string

	mu         sync.Mutex
	pkgs       map[string]*npmPackage
	failLeft   int
	failStatus int
	requests   int
	log        []NPMRequest
	lb         loopback // serves the fake (Start, Close)
}

// NPMRequest records one request the registry received.
type NPMRequest struct {
	Method        string
	Path          string // escaped path as sent, e.g. "/@scope%2fname"
	Accept        string
	Authorization string // the Authorization header as received ("" when absent)
}

// Version is one package version to publish.
type Version struct {
	// Manifest holds the package.json fields to publish; "name" and "version" are always set from the
	// arguments of Publish, and "dist" is computed.
	Manifest map[string]any
	// Tarball is the .tgz served for this version (see BuildTarball); dist.integrity (sha512) and
	// dist.shasum (sha1) are computed from it.
	Tarball []byte
	// Time is the publish time reported in the packument's "time" object (a fixed date when zero).
	Time time.Time
	// Attestations, when set, is published as dist.attestations.
	Attestations map[string]any
	// AttestationsDoc, when set, is the npm attestations document ({"attestations":[…]}) served at
	// GET {prefix}-/npm/v1/attestations/{name}@{version}; dist.attestations then points at it with the
	// SLSA v1 provenance predicate type (unless Attestations is set too, which wins).
	AttestationsDoc []byte
	// Dist entries are merged over the computed dist object after everything else; a nil value removes
	// the key. It lets tests publish hostile or legacy metadata (a foreign dist.tarball, no integrity).
	Dist map[string]any
}

type npmPackage struct {
	versions map[string]*npmVersion
	tags     map[string]string // explicit dist-tags; "latest" defaults to the highest version
}

type npmVersion struct {
	v         Version
	integrity string
	shasum    string
	fileCount int
	unpacked  int64
	tampered  []byte // served instead of v.Tarball when non-nil
}

// NewNPMRegistry returns an empty registry serving under prefix ("" or a path such as
// "/artifactory/api/npm/npm/").
func NewNPMRegistry(prefix string) *NPMRegistry {
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix != "/" {
		prefix += "/"
	}
	return &NPMRegistry{prefix: prefix, pkgs: make(map[string]*npmPackage)}
}

// Start serves the registry on a new loopback httptest.Server (once; later calls return the same URL)
// and returns the registry base URL, which always ends in "/" and includes the prefix.
func (r *NPMRegistry) Start() (baseURL string) {
	url := r.lb.start(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	return url + r.prefix
}

// Close stops the server started by Start, if any.
func (r *NPMRegistry) Close() {
	r.lb.close()
}

// Publish adds (or replaces) name@version. Republishing the same version with different bytes is
// allowed, which the real registry forbids, so that tests can model a registry that lies.
func (r *NPMRegistry) Publish(name, version string, v Version) {
	sum512 := sha512.Sum512(v.Tarball)
	sum1 := sha1.Sum(v.Tarball)
	files, size := npmTarballStats(v.Tarball)
	nv := &npmVersion{
		v:         v,
		integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum512[:]),
		shasum:    hex.EncodeToString(sum1[:]),
		fileCount: files,
		unpacked:  size,
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pkgs[name]
	if p == nil {
		p = &npmPackage{versions: make(map[string]*npmVersion), tags: make(map[string]string)}
		r.pkgs[name] = p
	}
	p.versions[version] = nv
}

// SetDistTag points dist-tag tag of name at version (overriding the computed "latest" when tag is
// "latest").
func (r *NPMRegistry) SetDistTag(name, tag, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.pkgs[name]; p != nil {
		p.tags[tag] = version
	}
}

// Tamper makes the registry serve body as the tarball of name@version while the packument keeps
// advertising the integrity of the bytes originally published.
func (r *NPMRegistry) Tamper(name, version string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.pkgs[name]; p != nil {
		if v := p.versions[version]; v != nil {
			v.tampered = bytes.Clone(body)
			if v.tampered == nil {
				v.tampered = []byte{}
			}
		}
	}
}

// FailNext makes the next n requests, whatever their route, answer status with a JSON error body.
func (r *NPMRegistry) FailNext(n int, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failLeft, r.failStatus = n, status
}

// Requests returns how many requests the registry has received.
func (r *NPMRegistry) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// RequestLog returns a copy of the requests received so far, oldest first.
func (r *NPMRegistry) RequestLog() []NPMRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// ServeHTTP implements the registry's read routes under the prefix:
//
//	GET {prefix}{name}                   packument (abbreviated when Accept asks for npm's install-v1 type)
//	GET {prefix}{name}/{version|tag}     one version document
//	GET {prefix}{name}/-/{file}.tgz      tarball
//	GET {prefix}-/ping                   {}
//	GET {prefix}-/npm/v1/attestations/{name}@{version}   the version's AttestationsDoc
//
// Scoped names are accepted as "@scope%2fname", "@scope%2Fname" and "@scope/name".
func (r *NPMRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	res := r.respond(req)
	w.Header().Set("Content-Type", res.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(res.body)))
	w.WriteHeader(res.status)
	if req.Method != http.MethodHead {
		_, _ = w.Write(res.body)
	}
}

// npmResponse is a response computed under the registry lock and written after it is released.
type npmResponse struct {
	status      int
	contentType string
	body        []byte
}

func (r *NPMRegistry) respond(req *http.Request) npmResponse {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	escaped := req.URL.EscapedPath()
	r.log = append(r.log, NPMRequest{
		Method:        req.Method,
		Path:          escaped,
		Accept:        req.Header.Get("Accept"),
		Authorization: req.Header.Get("Authorization"),
	})
	if r.failLeft > 0 {
		r.failLeft--
		return npmError(r.failStatus, http.StatusText(r.failStatus))
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return npmError(http.StatusMethodNotAllowed, "Method not allowed")
	}
	rest, ok := strings.CutPrefix(escaped, r.prefix)
	if !ok {
		return npmError(http.StatusNotFound, "Not found")
	}
	rest, err := url.PathUnescape(rest)
	if err != nil {
		return npmError(http.StatusBadRequest, "Bad request")
	}
	if rest == "-/ping" {
		return npmJSON("application/json", map[string]any{})
	}
	if spec, ok := strings.CutPrefix(rest, npmAttestationsPath); ok {
		return r.attestations(spec)
	}
	name, sub := npmSplitName(rest)
	p := r.pkgs[name]
	if name == "" || p == nil || len(p.versions) == 0 {
		return npmError(http.StatusNotFound, "Not found")
	}
	base := "http://" + req.Host + r.prefix
	if req.TLS != nil {
		base = "https://" + req.Host + r.prefix
	}
	switch {
	case len(sub) == 0:
		if strings.Contains(req.Header.Get("Accept"), npmAbbreviatedMediaType) {
			return npmJSON(npmAbbreviatedMediaType, r.abbreviated(base, name, p))
		}
		return npmJSON("application/json", r.full(base, name, p))
	case len(sub) == 1:
		version := sub[0]
		if tagged, ok := r.distTags(p)[version]; ok {
			version = tagged
		}
		v := p.versions[version]
		if v == nil {
			return npmError(http.StatusNotFound, "Not found")
		}
		return npmJSON("application/json", r.versionDoc(base, name, version, v))
	case len(sub) == 2 && sub[0] == "-":
		for version, v := range p.versions {
			if sub[1] == npmTarballFile(name, version) {
				body := v.v.Tarball
				if v.tampered != nil {
					body = v.tampered
				}
				return npmResponse{http.StatusOK, "application/octet-stream", body}
			}
		}
	}
	return npmError(http.StatusNotFound, "Not found")
}

// npmAttestationsPath is the registry route of attestations documents, after the prefix.
const npmAttestationsPath = "-/npm/v1/attestations/"

// npmSLSAProvenanceV1 is the predicate type npm advertises in dist.attestations.provenance.
const npmSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

// attestations answers GET {prefix}-/npm/v1/attestations/{name}@{version} (spec unescaped).
func (r *NPMRegistry) attestations(spec string) npmResponse {
	i := strings.LastIndexByte(spec, '@')
	if i <= 0 {
		return npmError(http.StatusNotFound, "Not found")
	}
	p := r.pkgs[spec[:i]]
	if p == nil {
		return npmError(http.StatusNotFound, "Not found")
	}
	v := p.versions[spec[i+1:]]
	if v == nil || v.v.AttestationsDoc == nil {
		return npmError(http.StatusNotFound, "Not found")
	}
	return npmResponse{http.StatusOK, "application/json", v.v.AttestationsDoc}
}

// npmSplitName splits an unescaped registry path into the package name and the remaining segments.
func npmSplitName(rest string) (name string, sub []string) {
	segs := strings.Split(rest, "/")
	n := 1
	if strings.HasPrefix(rest, "@") {
		n = 2
	}
	if len(segs) < n || slices.Contains(segs[:n], "") {
		return "", nil
	}
	sub = segs[n:]
	if len(sub) == 1 && sub[0] == "" { // trailing slash
		sub = nil
	}
	return strings.Join(segs[:n], "/"), sub
}

// npmTarballFile is the file name npm gives a version's tarball: the unscoped name, "-", the version.
func npmTarballFile(name, version string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name + "-" + version + ".tgz"
}

func npmTime(t time.Time) string {
	if t.IsZero() {
		t = npmDefaultPublishTime()
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// distTags returns the package's dist-tags, with "latest" defaulting to the highest version.
func (r *NPMRegistry) distTags(p *npmPackage) map[string]string {
	tags := maps.Clone(p.tags)
	if _, ok := tags["latest"]; !ok {
		var latest string
		for v := range p.versions {
			if latest == "" || npmVersionLess(latest, v) {
				latest = v
			}
		}
		tags["latest"] = latest
	}
	return tags
}

// times returns the packument "time" object.
func (r *NPMRegistry) times(p *npmPackage) map[string]string {
	out := make(map[string]string, len(p.versions)+2)
	var created, modified time.Time
	for version, v := range p.versions {
		t := v.v.Time
		if t.IsZero() {
			t = npmDefaultPublishTime()
		}
		out[version] = npmTime(t)
		if created.IsZero() || t.Before(created) {
			created = t
		}
		if t.After(modified) {
			modified = t
		}
	}
	out["created"] = npmTime(created)
	out["modified"] = npmTime(modified)
	return out
}

func (r *NPMRegistry) dist(base, name, version string, v *npmVersion) map[string]any {
	d := map[string]any{
		"tarball":   base + name + "/-/" + npmTarballFile(name, version),
		"integrity": v.integrity,
		"shasum":    v.shasum,
	}
	if v.fileCount > 0 {
		d["fileCount"] = v.fileCount
		d["unpackedSize"] = v.unpacked
	}
	switch {
	case v.v.Attestations != nil:
		d["attestations"] = v.v.Attestations
	case v.v.AttestationsDoc != nil:
		d["attestations"] = map[string]any{
			"url":        base + npmAttestationsPath + name + "@" + version,
			"provenance": map[string]any{"predicateType": npmSLSAProvenanceV1},
		}
	}
	for k, val := range v.v.Dist {
		if val == nil {
			delete(d, k)
		} else {
			d[k] = val
		}
	}
	return d
}

func (r *NPMRegistry) versionDoc(base, name, version string, v *npmVersion) map[string]any {
	doc := maps.Clone(v.v.Manifest)
	if doc == nil {
		doc = make(map[string]any)
	}
	doc["name"] = name
	doc["version"] = version
	doc["_id"] = name + "@" + version
	doc["dist"] = r.dist(base, name, version, v)
	return doc
}

func (r *NPMRegistry) full(base, name string, p *npmPackage) map[string]any {
	versions := make(map[string]any, len(p.versions))
	for version, v := range p.versions {
		versions[version] = r.versionDoc(base, name, version, v)
	}
	doc := map[string]any{
		"_id":       name,
		"name":      name,
		"dist-tags": r.distTags(p),
		"versions":  versions,
		"time":      r.times(p),
	}
	if latest := p.versions[r.distTags(p)["latest"]]; latest != nil {
		for _, k := range []string{"description", "readme", "repository", "homepage", "bugs", "license", "keywords", "maintainers"} {
			if val, ok := latest.v.Manifest[k]; ok {
				doc[k] = val
			}
		}
	}
	return doc
}

func (r *NPMRegistry) abbreviated(base, name string, p *npmPackage) map[string]any {
	versions := make(map[string]any, len(p.versions))
	for version, v := range p.versions {
		doc := map[string]any{"name": name, "version": version, "dist": r.dist(base, name, version, v)}
		for _, k := range []string{"dependencies", "optionalDependencies", "peerDependencies", "bin", "engines", "deprecated"} {
			if val, ok := v.v.Manifest[k]; ok {
				doc[k] = val
			}
		}
		if scripts, ok := v.v.Manifest["scripts"].(map[string]any); ok {
			for _, s := range []string{"preinstall", "install", "postinstall"} {
				if _, ok := scripts[s]; ok {
					doc["hasInstallScript"] = true
				}
			}
		}
		versions[version] = doc
	}
	return map[string]any{
		"name":      name,
		"modified":  r.times(p)["modified"],
		"dist-tags": r.distTags(p),
		"versions":  versions,
	}
}

func npmJSON(contentType string, v any) npmResponse {
	body, err := json.Marshal(v)
	if err != nil {
		return npmError(http.StatusInternalServerError, "cannot encode document: "+err.Error())
	}
	return npmResponse{http.StatusOK, contentType, body}
}

// npmError answers like the npm registry: a JSON object with an "error" string.
func npmError(status int, msg string) npmResponse {
	body, _ := json.Marshal(map[string]string{"error": msg})
	return npmResponse{status, "application/json", body}
}

// npmTarballStats counts the regular files in a .tgz and their total size (0, 0 when it is not one).
func npmTarballStats(tgz []byte) (files int, size int64) {
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return 0, 0
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) || err != nil {
			return files, size
		}
		if hdr.Typeflag == tar.TypeReg {
			files++
			size += hdr.Size
		}
	}
}

// npmVersionLess orders versions by semver precedence; strings that are not semver sort before those
// that are, and among themselves lexically.
func npmVersionLess(a, b string) bool {
	pa, oka := npmParseSemver(a)
	pb, okb := npmParseSemver(b)
	switch {
	case !oka && !okb:
		return a < b
	case !oka:
		return true
	case !okb:
		return false
	}
	for i := range 3 {
		if pa.core[i] != pb.core[i] {
			return pa.core[i] < pb.core[i]
		}
	}
	// A version without prerelease has higher precedence.
	switch {
	case len(pa.pre) == 0 && len(pb.pre) == 0:
		return false
	case len(pa.pre) == 0:
		return false
	case len(pb.pre) == 0:
		return true
	}
	for i := 0; i < len(pa.pre) && i < len(pb.pre); i++ {
		x, y := pa.pre[i], pb.pre[i]
		if x == y {
			continue
		}
		nx, errx := strconv.ParseUint(x, 10, 64)
		ny, erry := strconv.ParseUint(y, 10, 64)
		switch {
		case errx == nil && erry == nil:
			return nx < ny
		case errx == nil:
			return true
		case erry == nil:
			return false
		default:
			return x < y
		}
	}
	return len(pa.pre) < len(pb.pre)
}

type npmSemver struct {
	core [3]uint64
	pre  []string
}

func npmParseSemver(s string) (npmSemver, bool) {
	var v npmSemver
	s, _, _ = strings.Cut(s, "+")
	s, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return v, false
		}
		v.core[i] = n
	}
	if hasPre {
		v.pre = strings.Split(pre, ".")
	}
	return v, true
}
