package templates

import (
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The lint: every IAM statement in every template names its actions (no "*", no "svc:*", no
// wildcard at all, no NotAction), and a Resource of "*" appears only for the few actions AWS
// gives no resource-level permissions, each reviewed here.

// starAllowed lists the actions that may have Resource "*", with the check each needs.
var starAllowed = map[string]func(stmt map[string]any) error{
	"ecr:GetAuthorizationToken": nil, // ECR: no resource-level permissions
	"logs:DescribeLogGroups":    nil, // CloudWatch Logs: lists across groups
	"xray:PutTraceSegments":     nil, // X-Ray: no resource-level permissions
	"xray:PutTelemetryRecords":  nil,
	"xray:GetSamplingRules":     nil,
	"xray:GetSamplingTargets":   nil,
	"cloudwatch:PutMetricData":  requireNamespace, // no resources; narrowed by namespace
	// ci-role.yaml (the CI deploy role):
	"cloudformation:DescribeStacks":       nil, // without a stack name it lists the account's stacks (cfn.list)
	"bedrock-agentcore:ListAgentRuntimes": nil, // a list: no resource-level permissions
	"bedrock-agentcore:ListMemories":      nil, // a list: no resource-level permissions
	"cloudwatch:GetMetricData":            nil, // CloudWatch metric reads: no resource-level permissions
	"cloudwatch:GetMetricStatistics":      nil,
	"cloudwatch:ListMetrics":              nil,
	"xray:GetTraceSummaries":              nil, // X-Ray reads: no resource-level permissions
	"xray:BatchGetTraces":                 nil,
	"xray:GetTraceSegmentDestination":     nil, // X-Ray: no resource-level permissions
	"ec2:DescribeSubnets":                 nil, // EC2 Describe calls: no resource-level permissions
	"ec2:DescribeSecurityGroups":          nil,
	"ec2:DescribeNetworkInterfaces":       nil,
}

func requireNamespace(stmt map[string]any) error {
	cond, _ := stmt["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	if ns, _ := eq["cloudwatch:namespace"].(string); ns == "" {
		return fmt.Errorf("cloudwatch:PutMetricData on \"*\" needs a StringEquals cloudwatch:namespace condition")
	}
	return nil
}

// lintPolicies returns one problem per offending statement found anywhere in doc.
func lintPolicies(doc any) []string {
	var problems []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["Effect"]; ok {
				for _, p := range lintStatement(v) {
					problems = append(problems, path+": "+p)
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(path+"."+k, v[k])
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("", doc)
	return problems
}

func lintStatement(stmt map[string]any) []string {
	var problems []string
	if stmt["Effect"] != "Allow" {
		return nil // Deny statements only narrow
	}
	for _, k := range []string{"NotAction", "NotResource"} {
		if _, ok := stmt[k]; ok {
			problems = append(problems, k+" in an Allow statement grants everything else")
		}
	}
	actions, ok := strings1(stmt["Action"])
	if !ok {
		return append(problems, fmt.Sprintf("Action must be literal strings, got %v", stmt["Action"]))
	}
	for _, a := range actions {
		if strings.Contains(a, "*") {
			problems = append(problems, fmt.Sprintf("wildcard action %q", a))
		}
	}
	resources, _ := strings1(stmt["Resource"]) // intrinsics (!Ref, !Sub) are never a bare "*"
	star := false
	for _, r := range resources {
		if r == "*" {
			star = true
		}
	}
	if !star {
		return problems
	}
	for _, a := range actions {
		check, allowed := starAllowed[a]
		switch {
		case !allowed:
			problems = append(problems, fmt.Sprintf("action %s on Resource \"*\" is not on the reviewed allow-list", a))
		case check != nil:
			if err := check(stmt); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	return problems
}

// strings1 reads a string or a list of strings; ok is false when an element is not a string.
func strings1(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		var out []string
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func load(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("%s: not a mapping", name)
	}
	return m
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTemplatesLeastPrivilege(t *testing.T) {
	names, err := fs.Glob(FS, "*.yaml")
	if err != nil || len(names) < 3 {
		t.Fatalf("templates: %v %v", names, err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			doc := load(t, name)
			if doc["AWSTemplateFormatVersion"] != "2010-09-09" {
				t.Errorf("AWSTemplateFormatVersion = %v", doc["AWSTemplateFormatVersion"])
			}
			if len(keys(doc["Resources"])) == 0 {
				t.Error("no Resources")
			}
			for _, p := range lintPolicies(doc) {
				t.Error(p)
			}
		})
	}
}

func TestTemplateInterfaces(t *testing.T) {
	for _, tc := range []struct {
		name            string
		params, outputs []string
	}{
		{"ecr-repository.yaml",
			[]string{"Agent", "Environment", "KeepImages", "Project", "RepositoryName", "ScanOnPush"},
			[]string{"RepositoryArn", "RepositoryName", "RepositoryUri"}},
		{"agent-role.yaml",
			[]string{"Agent", "ApiKeyProviderArns", "CodeObjectArn", "Environment", "MemoryArn", "ModelArns", "OAuth2ProviderArns", "PermissionsBoundary", "Project", "ProviderSecretArns", "RepositoryArn", "RoleName", "RuntimeName", "SecretArns"},
			[]string{"RoleArn", "RoleName"}},
		{"code-bucket.yaml",
			[]string{"BucketName", "Environment", "Project"},
			[]string{"BucketArn", "BucketName"}},
		{"cognito.yaml",
			[]string{"Agent", "Environment", "PoolName", "Project"},
			[]string{"ClientId", "DiscoveryUrl", "IdentityPoolId", "UserPoolId"}},
		{"observability.yaml",
			[]string{"Agent", "AlarmEndpoint", "DashboardName", "Email1", "Email2", "Email3", "Environment", "ErrorsThreshold", "LatencyP99Ms", "Project", "RuntimeArn", "RuntimeName", "TopicArns", "TopicName"},
			[]string{"DashboardName", "TopicArn"}},
	} {
		doc := load(t, tc.name)
		if got := keys(doc["Parameters"]); !reflect.DeepEqual(got, tc.params) {
			t.Errorf("%s: parameters %v, want %v", tc.name, got, tc.params)
		}
		if got := keys(doc["Outputs"]); !reflect.DeepEqual(got, tc.outputs) {
			t.Errorf("%s: outputs %v, want %v", tc.name, got, tc.outputs)
		}
		// Every parameter is used somewhere (a typo in a !Ref or ${} would leave one unused).
		body, _ := FS.ReadFile(tc.name)
		for _, p := range tc.params {
			if !strings.Contains(string(body), "!Ref "+p) && !strings.Contains(string(body), "${"+p+"}") {
				t.Errorf("%s: parameter %s is never used", tc.name, p)
			}
		}
	}
	ecr := load(t, "ecr-repository.yaml")
	params := ecr["Parameters"].(map[string]any)
	if d := params["ScanOnPush"].(map[string]any)["Default"]; d != "true" {
		t.Errorf("ScanOnPush default %v", d)
	}
	if d := params["KeepImages"].(map[string]any)["Default"]; d != "30" {
		t.Errorf("KeepImages default %v", d)
	}
	repo := ecr["Resources"].(map[string]any)["Repository"].(map[string]any)["Properties"].(map[string]any)
	policy := repo["LifecyclePolicy"].(map[string]any)["LifecyclePolicyText"].(map[string]any)["Fn::Sub"].(string)
	if !strings.Contains(policy, `"countNumber": ${KeepImages}`) || !strings.Contains(policy, `"imageCountMoreThan"`) {
		t.Errorf("lifecycle policy: %s", policy)
	}
}

// The role: trusted only by AgentCore of this account, pulls only from its repository, and the
// model statement exists only under the HasModels condition.
func TestAgentRoleShape(t *testing.T) {
	doc := load(t, "agent-role.yaml")
	role := doc["Resources"].(map[string]any)["Role"].(map[string]any)["Properties"].(map[string]any)
	trust := role["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	if svc := trust["Principal"].(map[string]any)["Service"]; svc != "bedrock-agentcore.amazonaws.com" {
		t.Errorf("trusted service %v", svc)
	}
	cond := trust["Condition"].(map[string]any)
	if got := cond["StringEquals"].(map[string]any)["aws:SourceAccount"]; !reflect.DeepEqual(got, map[string]any{"Ref": "AWS::AccountId"}) {
		t.Errorf("aws:SourceAccount %v", got)
	}
	if got := fmt.Sprint(cond["ArnLike"].(map[string]any)["aws:SourceArn"]); !strings.Contains(got, ":bedrock-agentcore:${AWS::Region}:${AWS::AccountId}:*") {
		t.Errorf("aws:SourceArn %v", got)
	}
	stmts := role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	var sawPull, sawModels, sawCode, sawSecrets bool
	for _, s := range stmts {
		m := s.(map[string]any)
		if m["Sid"] == "PullOwnImages" {
			t.Error("the pull statement must sit under !If HasRepository (code agents pull no image)")
		}
		if branches, ok := m["Fn::If"].([]any); ok && branches[0] == "HasRepository" {
			inner := branches[1].(map[string]any)
			if inner["Sid"] == "PullOwnImages" {
				sawPull = true
				if !reflect.DeepEqual(inner["Resource"], map[string]any{"Ref": "RepositoryArn"}) {
					t.Errorf("pull resource %v", inner["Resource"])
				}
			}
		}
		if m["Sid"] == "InvokeNamedModels" {
			t.Error("the model statement must sit under !If HasModels")
		}
		if branches, ok := m["Fn::If"].([]any); ok && branches[0] == "HasModels" {
			sawModels = true
			inner := branches[1].(map[string]any)
			if !reflect.DeepEqual(inner["Resource"], map[string]any{"Ref": "ModelArns"}) {
				t.Errorf("model resource %v", inner["Resource"])
			}
			if !reflect.DeepEqual(branches[2], map[string]any{"Ref": "AWS::NoValue"}) {
				t.Errorf("else branch %v", branches[2])
			}
		}
		if m["Sid"] == "ReadOwnSecrets" {
			t.Error("the secrets statement must sit under !If HasSecrets")
		}
		if branches, ok := m["Fn::If"].([]any); ok && branches[0] == "HasSecrets" {
			sawSecrets = true
			inner := branches[1].(map[string]any)
			if !reflect.DeepEqual(inner["Resource"], map[string]any{"Ref": "SecretArns"}) {
				t.Errorf("secrets resource %v", inner["Resource"])
			}
			if !reflect.DeepEqual(inner["Action"], []any{"secretsmanager:GetSecretValue"}) {
				t.Errorf("secrets actions %v: reading is all an agent needs", inner["Action"])
			}
			if !reflect.DeepEqual(branches[2], map[string]any{"Ref": "AWS::NoValue"}) {
				t.Errorf("else branch %v", branches[2])
			}
		}
		if m["Sid"] == "ReadOwnCode" {
			t.Error("the code statement must sit under !If HasCode")
		}
		if branches, ok := m["Fn::If"].([]any); ok && branches[0] == "HasCode" {
			sawCode = true
			inner := branches[1].(map[string]any)
			if !reflect.DeepEqual(inner["Resource"], map[string]any{"Ref": "CodeObjectArn"}) {
				t.Errorf("code resource %v", inner["Resource"])
			}
			if !reflect.DeepEqual(inner["Action"], []any{"s3:GetObject", "s3:GetObjectVersion"}) {
				t.Errorf("code actions %v", inner["Action"])
			}
			if !reflect.DeepEqual(branches[2], map[string]any{"Ref": "AWS::NoValue"}) {
				t.Errorf("else branch %v", branches[2])
			}
		}
	}
	if !sawPull || !sawModels || !sawCode || !sawSecrets {
		t.Errorf("pull statement %v, model statement %v, code statement %v, secrets statement %v", sawPull, sawModels, sawCode, sawSecrets)
	}
	// An empty SecretArns is the default, and turns the statement off.
	if d := doc["Parameters"].(map[string]any)["SecretArns"].(map[string]any)["Default"]; d != "" {
		t.Errorf("SecretArns default %v", d)
	}
	hasSecrets := doc["Conditions"].(map[string]any)["HasSecrets"]
	wantSecrets := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{
		map[string]any{"Fn::Join": []any{",", map[string]any{"Ref": "SecretArns"}}}, ""}}}}
	if !reflect.DeepEqual(hasSecrets, wantSecrets) {
		t.Errorf("HasSecrets %v", hasSecrets)
	}
	// An empty CodeObjectArn is the default, and turns the statement off.
	param := doc["Parameters"].(map[string]any)["CodeObjectArn"].(map[string]any)
	if param["Default"] != "" {
		t.Errorf("CodeObjectArn default %v", param["Default"])
	}
	hasCode := doc["Conditions"].(map[string]any)["HasCode"]
	want := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "CodeObjectArn"}, ""}}}}
	if !reflect.DeepEqual(hasCode, want) {
		t.Errorf("HasCode %v", hasCode)
	}
}

// The credential statements: each under its condition, one action each, and resources that are
// the token vault, the runtime's own workload identity and exactly the providers passed in.
func TestAgentRoleCredentials(t *testing.T) {
	doc := load(t, "agent-role.yaml")
	role := doc["Resources"].(map[string]any)["Role"].(map[string]any)["Properties"].(map[string]any)
	stmts := role["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	want := map[string]struct{ sid, action, param string }{
		"HasApiKeyProviders": {"ReadOwnApiKeys", "bedrock-agentcore:GetResourceApiKey", "ApiKeyProviderArns"},
		"HasOAuth2Providers": {"GetOwnOAuth2Tokens", "bedrock-agentcore:GetResourceOauth2Token", "OAuth2ProviderArns"},
		"HasProviderSecrets": {"ReadOwnProviderSecrets", "secretsmanager:GetSecretValue", "ProviderSecretArns"},
	}
	seen := map[string]bool{}
	for _, s := range stmts {
		m := s.(map[string]any)
		for _, w := range want {
			if m["Sid"] == w.sid {
				t.Errorf("%s must sit under its !If", w.sid)
			}
		}
		branches, ok := m["Fn::If"].([]any)
		if !ok {
			continue
		}
		w, ok := want[branches[0].(string)]
		if !ok {
			continue
		}
		seen[w.sid] = true
		inner := branches[1].(map[string]any)
		if inner["Sid"] != w.sid || !reflect.DeepEqual(inner["Action"], []any{w.action}) {
			t.Errorf("%v: sid %v actions %v, want %s [%s]", branches[0], inner["Sid"], inner["Action"], w.sid, w.action)
		}
		if !reflect.DeepEqual(branches[2], map[string]any{"Ref": "AWS::NoValue"}) {
			t.Errorf("%s else branch %v", w.sid, branches[2])
		}
		res := fmt.Sprint(inner["Resource"])
		if !strings.Contains(res, "map[Ref:"+w.param+"]") {
			t.Errorf("%s resources %s do not name %s", w.sid, res, w.param)
		}
		if w.param != "ProviderSecretArns" {
			for _, must := range []string{":token-vault/default", ":workload-identity-directory/default/workload-identity/${RuntimeName}-*"} {
				if !strings.Contains(res, must) {
					t.Errorf("%s resources %s lack %s", w.sid, res, must)
				}
			}
			if strings.Contains(res, "credentialprovider/*") {
				t.Errorf("%s: a wildcard over providers: %s", w.sid, res)
			}
		}
		if d := doc["Parameters"].(map[string]any)[w.param].(map[string]any)["Default"]; d != "" {
			t.Errorf("%s default %v", w.param, d)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("credential statements seen %v", seen)
	}
}

// The code bucket: versioned, encrypted, private, owner-enforced, TLS only, tagged.
func TestCodeBucketShape(t *testing.T) {
	doc := load(t, "code-bucket.yaml")
	res := doc["Resources"].(map[string]any)
	b := res["Bucket"].(map[string]any)["Properties"].(map[string]any)
	if got := b["VersioningConfiguration"]; !reflect.DeepEqual(got, map[string]any{"Status": "Enabled"}) {
		t.Errorf("versioning %v", got)
	}
	sse := b["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)
	if alg := sse["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"]; alg != "AES256" && alg != "aws:kms" {
		t.Errorf("encryption %v", alg)
	}
	pab := b["PublicAccessBlockConfiguration"].(map[string]any)
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != "true" {
			t.Errorf("%s = %v", k, pab[k])
		}
	}
	own := b["OwnershipControls"].(map[string]any)["Rules"].([]any)[0].(map[string]any)["ObjectOwnership"]
	if own != "BucketOwnerEnforced" {
		t.Errorf("ownership %v", own)
	}
	if got := fmt.Sprint(b["Tags"]); !strings.Contains(got, "agentcore:project") || !strings.Contains(got, "agentcore:environment") {
		t.Errorf("tags %v", got)
	}
	name := b["BucketName"].(map[string]any)["Fn::If"].([]any)
	if name[0] != "HasBucketName" || !reflect.DeepEqual(name[2], map[string]any{"Ref": "AWS::NoValue"}) {
		t.Errorf("bucket name %v", name)
	}
	pol := res["BucketPolicy"].(map[string]any)["Properties"].(map[string]any)
	stmt := pol["PolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
	cond := stmt["Condition"].(map[string]any)["Bool"].(map[string]any)["aws:SecureTransport"]
	if stmt["Effect"] != "Deny" || stmt["Principal"] != "*" || cond != "false" || len(stmt["Resource"].([]any)) != 2 {
		t.Errorf("TLS statement %v", stmt)
	}
}

// The lint itself must fail on bad policies.
func TestLintFailsOnBadPolicies(t *testing.T) {
	const head = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Statement:\n"
	for _, tc := range []struct{ name, stmt, want string }{
		{"star action", "              - Effect: Allow\n                Action: '*'\n                Resource: arn:aws:s3:::b\n", `wildcard action "*"`},
		{"service wildcard", "              - Effect: Allow\n                Action:\n                  - s3:*\n                Resource: arn:aws:s3:::b\n", `wildcard action "s3:*"`},
		{"partial wildcard", "              - Effect: Allow\n                Action: [logs:Put*]\n                Resource: arn:aws:logs:::x\n", `wildcard action "logs:Put*"`},
		{"star resource", "              - Effect: Allow\n                Action:\n                  - ecr:BatchGetImage\n                Resource: '*'\n", `action ecr:BatchGetImage on Resource "*" is not on the reviewed allow-list`},
		{"star resource in list", "              - Effect: Allow\n                Action: s3:GetObject\n                Resource:\n                  - arn:aws:s3:::b/*\n                  - '*'\n", `s3:GetObject on Resource "*"`},
		{"metrics without namespace", "              - Effect: Allow\n                Action: cloudwatch:PutMetricData\n                Resource: '*'\n", "needs a StringEquals cloudwatch:namespace"},
		{"not action", "              - Effect: Allow\n                NotAction: iam:*\n                Resource: arn:aws:s3:::b\n", "NotAction in an Allow statement"},
		{"under If", "              - !If\n                - C\n                - Effect: Allow\n                  Action: iam:PassRole\n                  Resource: '*'\n                - !Ref AWS::NoValue\n", "iam:PassRole on Resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseYAML(head + tc.stmt)
			if err != nil {
				t.Fatal(err)
			}
			problems := lintPolicies(doc)
			if len(problems) == 0 || !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Fatalf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
	// And it passes a good one.
	good, err := parseYAML(head + "              - Effect: Allow\n                Action: xray:PutTraceSegments\n                Resource: '*'\n")
	if err != nil {
		t.Fatal(err)
	}
	if p := lintPolicies(good); len(p) != 0 {
		t.Fatalf("good sample flagged: %v", p)
	}
}

func TestParseYAML(t *testing.T) {
	got, err := parseYAML(`# comment
A: plain # trailing
B: 'it''s'
C: "q\"d"
D: [x, 'y', !Ref Z]
E:
  - one
  - k: v
    k2: v2
  -
    - nested
F: !GetAtt Res.Arn
G: !If
  - Cond
  - yes
  - !Ref AWS::NoValue
H: |
  line1
  line2
I: >-
  folded
  text
J:
- same-indent
K: arn:aws:iam::1:role/x
`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"A": "plain", "B": "it's", "C": `q"d`,
		"D": []any{"x", "y", map[string]any{"Ref": "Z"}},
		"E": []any{"one", map[string]any{"k": "v", "k2": "v2"}, []any{"nested"}},
		"F": map[string]any{"Fn::GetAtt": []any{"Res", "Arn"}},
		"G": map[string]any{"Fn::If": []any{"Cond", "yes", map[string]any{"Ref": "AWS::NoValue"}}},
		"H": "line1\nline2\n", "I": "folded text",
		"J": []any{"same-indent"},
		"K": "arn:aws:iam::1:role/x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{"A: {x: 1}", "A: &anchor x", "A: !Bogus x", "A:\n   b: 1\n  c: 2", "A: 1\nA: 2", "A: [x, [y]]"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("parseYAML(%q) succeeded", bad)
		}
	}
}
