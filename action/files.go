package action

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/report"
)

// Names of the report files, inside a fresh directory per run (see writeReports).
const (
	ReportJSONFile  = "mcpvet-report.json"
	ReportSARIFFile = "mcpvet.sarif"
)

// reportFiles are the written reports: paths on this machine and as the outputs give them.
type reportFiles struct {
	JSON, SARIF             string // where they were written
	JSONOutput, SARIFOutput string // relative to the workspace when inside it (see outputPath)
}

// outputBase picks where the report files go: RUNNER_TEMP when it is a directory here, else the workspace,
// else the system's temporary directory. Inside a Docker action RUNNER_TEMP names the runner's directory,
// which is not mounted into the container, so the workspace (mounted) is used and the outputs give paths
// relative to it, which later steps resolve in their own working directory, the workspace.
func outputBase(getenv func(string) string) string {
	for _, env := range []string{"RUNNER_TEMP", "GITHUB_WORKSPACE"} {
		if d := getenv(env); d != "" && filepath.IsAbs(d) {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d
			}
		}
	}
	return os.TempDir()
}

// writeReports writes the JSON and SARIF reports into a new directory under base. The directory's name is
// random and created by this run, so nothing a pull request's checkout planted (a symlink where a report
// would go) is written through; files are created exclusively.
func writeReports(base, workspace string, rep *report.Report, opts report.WriteOptions) (reportFiles, error) {
	dir, err := os.MkdirTemp(base, "mcpvet-")
	if err != nil {
		return reportFiles{}, fmt.Errorf("create the report directory: %w", err)
	}
	var files reportFiles
	files.JSON = filepath.Join(dir, ReportJSONFile)
	files.SARIF = filepath.Join(dir, ReportSARIFFile)
	var js, sarif bytes.Buffer
	if err := report.JSON(&js, rep); err != nil {
		return files, fmt.Errorf("render the JSON report: %w", err)
	}
	if err := report.SARIF(&sarif, rep, opts); err != nil {
		return files, fmt.Errorf("render the SARIF report: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{files.JSON, js.Bytes()}, {files.SARIF, sarif.Bytes()}} {
		if err := writeNew(f.path, f.data); err != nil {
			return files, err
		}
	}
	files.JSONOutput = outputPath(workspace, files.JSON)
	files.SARIFOutput = outputPath(workspace, files.SARIF)
	return files, nil
}

func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// outputPath is path relative to the workspace when it lies inside it (slash-separated), else path.
func outputPath(workspace, path string) string {
	if workspace == "" {
		return path
	}
	rel, err := filepath.Rel(workspace, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return path
	}
	return filepath.ToSlash(rel)
}
