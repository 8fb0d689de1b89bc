// The commit `vitalgate --version` names. Checked in as "unknown": `scripts/stamp-commit.sh`
// writes the commit here for the length of a build it wraps (release builds, packages) and then
// puts this file back, so a build from a clean clone or a tarball compiles as it is.
let buildCommit = "unknown"
