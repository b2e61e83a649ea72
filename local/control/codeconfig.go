package control

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Runtimes of codeConfiguration.runtime (AgentManagedRuntimeType in the model).
var managedRuntimes = []string{"PYTHON_3_10", "PYTHON_3_11", "PYTHON_3_12", "PYTHON_3_13", "PYTHON_3_14", "NODE_22"}

var s3BucketPattern = lazyRegexp(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// parseCodeConfiguration validates agentRuntimeArtifact.codeConfiguration against the model:
// code (a union whose one member is s3 {bucket, prefix, versionId?}), runtime and entryPoint
// are required.
func parseCodeConfiguration(raw json.RawMessage) (*codeConfig, error) {
	const at = "agentRuntimeArtifact.codeConfiguration"
	var in struct {
		Code *struct {
			S3 *struct {
				Bucket    *string `json:"bucket"`
				Prefix    *string `json:"prefix"`
				VersionID *string `json:"versionId"`
			} `json:"s3"`
		} `json:"code"`
		Runtime    *string  `json:"runtime"`
		EntryPoint []string `json:"entryPoint"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fieldInvalid(at, string(raw), "Member must be a CodeConfiguration structure")
	}
	if in.Code == nil {
		return nil, fieldMissing(at + ".code")
	}
	if in.Code.S3 == nil {
		return nil, fieldMissing(at + ".code.s3")
	}
	loc := in.Code.S3
	if loc.Bucket == nil {
		return nil, fieldMissing(at + ".code.s3.bucket")
	}
	if !s3BucketPattern().MatchString(*loc.Bucket) {
		return nil, fieldInvalid(at+".code.s3.bucket", *loc.Bucket, "Member must satisfy regular expression pattern: [a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
	}
	if loc.Prefix == nil {
		return nil, fieldMissing(at + ".code.s3.prefix")
	}
	if len(*loc.Prefix) < 1 || len(*loc.Prefix) > 1024 {
		return nil, fieldInvalid(at+".code.s3.prefix", *loc.Prefix, "Member must have length between 1 and 1024")
	}
	if loc.VersionID != nil && (len(*loc.VersionID) < 3 || len(*loc.VersionID) > 1024) {
		return nil, fieldInvalid(at+".code.s3.versionId", *loc.VersionID, "Member must have length between 3 and 1024")
	}
	if in.Runtime == nil {
		return nil, fieldMissing(at + ".runtime")
	}
	known := false
	for _, r := range managedRuntimes {
		known = known || r == *in.Runtime
	}
	if !known {
		return nil, fieldInvalid(at+".runtime", *in.Runtime, "Member must satisfy enum value set: ["+strings.Join(managedRuntimes, ", ")+"]")
	}
	if in.EntryPoint == nil {
		return nil, fieldMissing(at + ".entryPoint")
	}
	if len(in.EntryPoint) < 1 || len(in.EntryPoint) > 2 {
		return nil, fieldInvalid(at+".entryPoint", fmt.Sprint(in.EntryPoint), "Member must have length less than or equal to 2 and greater than or equal to 1")
	}
	for i, e := range in.EntryPoint {
		if len(e) < 1 || len(e) > 128 {
			return nil, fieldInvalid(fmt.Sprintf("%s.entryPoint.%d.member", at, i+1), e, "Member must have length between 1 and 128")
		}
	}
	c := &codeConfig{Runtime: *in.Runtime, EntryPoint: in.EntryPoint}
	c.Code.S3 = &s3Location{Bucket: *loc.Bucket, Prefix: *loc.Prefix}
	if loc.VersionID != nil {
		c.Code.S3.VersionID = *loc.VersionID
	}
	return c, nil
}

// artifactShape is agentRuntimeArtifact as GetAgentRuntime returns it.
func artifactShape(c runtimeConfig) map[string]any {
	if c.Code != nil {
		return map[string]any{"codeConfiguration": c.Code}
	}
	return map[string]any{"containerConfiguration": map[string]string{"containerUri": c.ContainerURI}}
}

func artifactKind(c runtimeConfig) string {
	if c.Code != nil {
		return "codeConfiguration"
	}
	return "containerConfiguration"
}

// sameArtifactType refuses an update that changes how the runtime is deployed: a runtime
// created from a container image stays one, and so does a runtime created from code.
func sameArtifactType(prev, next runtimeConfig) error {
	if (prev.Code == nil) == (next.Code == nil) {
		return nil
	}
	e := validationf("The artifact type of an agent runtime cannot be changed: this runtime was created with agentRuntimeArtifact.%s and the update sets agentRuntimeArtifact.%s. Create a new agent runtime to deploy it the other way.",
		artifactKind(prev), artifactKind(next))
	e.Fields = []awsproto.FieldError{{Name: "agentRuntimeArtifact", Message: "Member must keep the artifact type the agent runtime was created with (" + artifactKind(prev) + ")"}}
	return e
}

// describe names what a version runs, for failure reasons and logs.
func (c runtimeConfig) describe() string {
	if c.Code != nil && c.Code.Code.S3 != nil {
		return fmt.Sprintf("s3://%s/%s (%s)", c.Code.Code.S3.Bucket, c.Code.Code.S3.Prefix, c.Code.Runtime)
	}
	return c.ContainerURI
}
