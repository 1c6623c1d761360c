package action_test

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcpvet/mcpvet/action"
)

// readmeSection returns the README's Action section, between its markers.
func readmeSection(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- action:begin -->\n")
	section, _, ok2 := strings.Cut(rest, "<!-- action:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md lacks the <!-- action:begin --> … <!-- action:end --> section")
	}
	return section
}

// TestInputsReadAndDocumented: every input action.yml declares is read by the code, the code reads no
// input action.yml does not declare, and the README documents every input and output.
func TestInputsReadAndDocumented(t *testing.T) {
	needSuite(t)
	asked := map[string]bool{}
	_, err := action.ReadInputs(func(k string) string {
		asked[k] = true
		return ""
	})
	if err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	var declared []string
	for name := range suite.actions.Inputs {
		declared = append(declared, name)
		if !asked["INPUT_"+strings.ToUpper(name)] {
			t.Errorf("action.yml declares input %q; the code never reads INPUT_%s", name, strings.ToUpper(name))
		}
	}
	for k := range asked {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			if _, ok := suite.actions.Inputs[strings.ToLower(name)]; !ok {
				t.Errorf("the code reads %s, which action.yml does not declare", k)
			}
		}
	}
	sort.Strings(declared)
	section := readmeSection(t)
	for _, name := range declared {
		if !regexp.MustCompile("(?m)^\\| `" + regexp.QuoteMeta(name) + "` \\|").MatchString(section) {
			t.Errorf("the README's Action section has no table row for input %q", name)
		}
		if suite.actions.Inputs[name].Description == "" {
			t.Errorf("action.yml: input %q has no description", name)
		}
	}
	outputs := []string{action.OutputVerdict, action.OutputBlockedCount, action.OutputReportJSON, action.OutputSARIF}
	for name := range suite.actions.Outputs {
		if !slices.Contains(outputs, name) {
			t.Errorf("action.yml declares output %q, which the code never sets", name)
		}
	}
	for _, name := range outputs {
		if _, ok := suite.actions.Outputs[name]; !ok {
			t.Errorf("the code sets output %q, which action.yml does not declare", name)
		}
		if !strings.Contains(section, "| `"+name+"` |") {
			t.Errorf("the README's Action section has no table row for output %q", name)
		}
	}
}

// TestREADMEExampleIsTheWorkflowTested: the README's example workflow is byte for byte the workflow this
// repository runs, which the end-to-end tests read their inputs from.
func TestREADMEExampleIsTheWorkflowTested(t *testing.T) {
	section := readmeSection(t)
	_, rest, ok := strings.Cut(section, "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("the README's Action section has no ```yaml example")
	}
	want, err := os.ReadFile(exampleWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	if example != string(want) {
		t.Errorf("the README's example workflow differs from %s:\nREADME:\n%s\nfile:\n%s", exampleWorkflow, example, want)
	}
	for _, s := range []string{"uses: mcpvet/mcpvet@v1", "pull-requests: write"} {
		if !strings.Contains(example, s) {
			t.Errorf("the example workflow lacks %q", s)
		}
	}
}

// TestActionImage: action.yml runs the Action's prebuilt image, and the Dockerfile builds it.
func TestActionImage(t *testing.T) {
	needSuite(t)
	if got := suite.actions.Runs.Image; !regexp.MustCompile(`^docker://ghcr\.io/mcpvet/mcpvet:v\d+-action$`).MatchString(got) {
		t.Errorf("action.yml runs image %q; want docker://ghcr.io/mcpvet/mcpvet:vN-action", got)
	}
	if !slices.Equal(suite.actions.Runs.Args, []string{"action"}) {
		t.Errorf("action.yml args %q; want [action]", suite.actions.Runs.Args)
	}
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AS action", "AS runtime", "CGO_ENABLED=0", "USER 65532", "git"} {
		if !strings.Contains(string(df), want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}
