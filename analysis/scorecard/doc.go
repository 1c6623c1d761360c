// Package scorecard brings OpenSSF Scorecard (https://scorecard.dev) into a review: a client for the stored
// results API (MCPVET_SCORECARD_API, default https://api.securityscorecards.dev, GET
// /projects/{host}/{owner}/{repo}), the Result type that API and the local checks (package localcheck) both
// produce, the minimums a policy sets (overall and per check, each with a severity), and the findings a
// comparison of the two makes.
//
// Missing data is reported as missing, never as a score: a check that could not tell (not applicable,
// inconclusive, unsupported by the local client, or absent from a stored result) has NoScore and a reason,
// and a minimum that cannot be checked for lack of data is a scorecard/unavailable finding, not a failure.
// A stored result computed on another commit than the compared one says so in every finding it backs.
//
// Everything the API sends is hostile: the body, the number of checks and details and the length of every
// string are bounded (Limits), names and commits are validated, and error text never carries credentials.
//
// It must not import app/, action/, any GitHub client, or github.com/ossf/scorecard (only localcheck runs
// Scorecard's code, so the policy and rule catalogue stay light). Like every package under analysis/, it
// knows nothing of webhooks or tokens of the reviewed repository.
package scorecard
