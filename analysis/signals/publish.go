package signals

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/finding"
	"github.com/mcpvet/mcpvet/analysis/registry"
)

// maxListedPeople bounds the maintainer names one message lists.
const maxListedPeople = 10

// Publish compares the registry metadata of two versions: the publisher (_npmUser) changed (warn), the
// maintainer set changed (warn), provenance (dist.attestations) present in from but not in to (block).
// Metadata missing on either side (abbreviated packuments carry no _npmUser or maintainers) is not a
// change. Either argument nil yields nil. The findings have no Path: they are about the registry
// documents, not a file.
func Publish(from, to *registry.Manifest) []finding.Finding {
	if from == nil || to == nil {
		return nil
	}
	var out []finding.Finding
	versions := fmt.Sprintf("%s → %s", quoteValue(from.Version, 64), quoteValue(to.Version, 64))
	if f, ok := publisherChange(from, to, versions); ok {
		out = append(out, f)
	}
	if f, ok := maintainersChange(from, to, versions); ok {
		out = append(out, f)
	}
	if from.Dist.Attestations != nil && (to.Dist.Attestations == nil ||
		(from.Dist.Attestations.ProvenancePredicateType != "" && to.Dist.Attestations.ProvenancePredicateType == "")) {
		f := newFinding(RuleProvenanceDropped, fmt.Sprintf(
			"Provenance dropped: version %s was published with npm provenance, version %s without it, so this version cannot be tied to a source repository and build.",
			quoteValue(from.Version, 64), quoteValue(to.Version, 64)))
		f.Evidence = fmt.Sprintf("dist.attestations of %s: previous %s, new %s", versions, describeAttestations(from.Dist.Attestations), describeAttestations(to.Dist.Attestations))
		out = append(out, f)
	}
	return out
}

// describeAttestations summarises dist.attestations for evidence.
func describeAttestations(a *registry.Attestations) string {
	if a == nil {
		return "none"
	}
	s := "url " + quoteValue(a.URL, 200)
	if a.ProvenancePredicateType != "" {
		s += ", provenance " + quoteValue(a.ProvenancePredicateType, 100)
	} else {
		s += ", no provenance predicate"
	}
	return s
}

// publisherChange reports a different _npmUser, a publisher's changed e-mail address, or a version
// published without a recorded publisher after one that had one.
func publisherChange(from, to *registry.Manifest, versions string) (finding.Finding, bool) {
	fp, tp := from.NpmUser, to.NpmUser
	if fp == nil || personKey(*fp) == "" {
		return finding.Finding{}, false
	}
	var msg string
	switch {
	case tp == nil || personKey(*tp) == "":
		msg = fmt.Sprintf("Publisher changed: version %s records no publisher (_npmUser); the previous version was published by %s.",
			quoteValue(to.Version, 64), describePerson(*fp))
	case personKey(*fp) != personKey(*tp):
		msg = fmt.Sprintf("Publisher changed: version %s was published by %s; the previous version by %s.",
			quoteValue(to.Version, 64), describePerson(*tp), describePerson(*fp))
	case !strings.EqualFold(strings.TrimSpace(fp.Email), strings.TrimSpace(tp.Email)):
		msg = fmt.Sprintf("Publisher's e-mail address changed: %s published version %s as %s, the previous version as %s.",
			quoteValue(tp.Name, 100), quoteValue(to.Version, 64), quoteValue(tp.Email, 100), quoteValue(fp.Email, 100))
	default:
		return finding.Finding{}, false
	}
	f := newFinding(RulePublisherChanged, msg)
	f.Evidence = "_npmUser of the registry version documents, " + versions
	return f, true
}

// personKey identifies a person: the lower-cased npm user name, or the e-mail address when there is no
// name.
func personKey(p registry.Person) string {
	if n := strings.ToLower(strings.TrimSpace(p.Name)); n != "" {
		return n
	}
	return strings.ToLower(strings.TrimSpace(p.Email))
}

// describePerson shows a person as `name` <`email`>.
func describePerson(p registry.Person) string {
	s := quoteValue(p.Name, 100)
	if p.Email != "" {
		s += " <" + quoteValue(p.Email, 100) + ">"
	}
	return s
}

// maintainersChange reports maintainers added to or removed from the package between the versions.
func maintainersChange(from, to *registry.Manifest, versions string) (finding.Finding, bool) {
	was, now := peopleSet(from.Maintainers), peopleSet(to.Maintainers)
	if len(was) == 0 || len(now) == 0 {
		return finding.Finding{}, false
	}
	var added, removed []string
	for k, p := range now {
		if _, ok := was[k]; !ok {
			added = append(added, describePerson(p))
		}
	}
	for k, p := range was {
		if _, ok := now[k]; !ok {
			removed = append(removed, describePerson(p))
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return finding.Finding{}, false
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+listPeople(added))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+listPeople(removed))
	}
	f := newFinding(RuleMaintainersChanged, fmt.Sprintf("Maintainers changed with version %s: %s.", quoteValue(to.Version, 64), strings.Join(parts, "; ")))
	f.Evidence = fmt.Sprintf("maintainers of the registry version documents, %s: %d before, %d after", versions, len(was), len(now))
	return f, true
}

// peopleSet keys people by personKey, dropping entries without name or e-mail.
func peopleSet(ps []registry.Person) map[string]registry.Person {
	out := map[string]registry.Person{}
	for _, p := range ps {
		if k := personKey(p); k != "" {
			out[k] = p
		}
	}
	return out
}

// listPeople sorts and joins descriptions, listing at most maxListedPeople.
func listPeople(ds []string) string {
	sort.Strings(ds)
	if len(ds) > maxListedPeople {
		return strings.Join(ds[:maxListedPeople], ", ") + fmt.Sprintf(" and %d more", len(ds)-maxListedPeople)
	}
	return strings.Join(ds, ", ")
}
