package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// iamPrefix is the IAM service prefix of each aws-sdk-go-v2 service package the builtins use.
var iamPrefix = map[string]string{
	"bedrockagentcore":        "bedrock-agentcore",
	"bedrockagentcorecontrol": "bedrock-agentcore",
	"cloudformation":          "cloudformation",
	"cloudwatch":              "cloudwatch",
	"cloudwatchlogs":          "logs",
	"ec2":                     "ec2",
	"ecr":                     "ecr",
	"iam":                     "iam",
	"s3":                      "s3",
	"secretsmanager":          "secretsmanager",
	"ssm":                     "ssm",
	"sts":                     "sts",
	"xray":                    "xray",
}

// iamActions maps an API operation to the IAM actions it needs where they are not
// PREFIX:Operation (S3's mostly). Empty: the operation needs no permission.
var iamActions = map[string][]string{
	"sts:GetCallerIdentity":                {},
	"s3:HeadBucket":                        {"s3:ListBucket"},
	"s3:HeadObject":                        {"s3:GetObject"},
	"s3:ListObjectsV2":                     {"s3:ListBucket"},
	"s3:ListObjectVersions":                {"s3:ListBucketVersions"},
	"s3:ListMultipartUploads":              {"s3:ListBucketMultipartUploads"},
	"s3:CopyObject":                        {"s3:GetObject", "s3:PutObject"},
	"s3:DeleteObjects":                     {"s3:DeleteObject", "s3:DeleteObjectVersion"},
	"s3:PutBucketEncryption":               {"s3:PutEncryptionConfiguration"},
	"s3:PutPublicAccessBlock":              {"s3:PutBucketPublicAccessBlock"},
	"s3:CreateMultipartUpload":             {"s3:PutObject"},
	"s3:UploadPart":                        {"s3:PutObject"},
	"s3:CompleteMultipartUpload":           {"s3:PutObject"},
	"bedrock-agentcore:InvokeAgentRuntime": {"bedrock-agentcore:InvokeAgentRuntime"},
}

// notForCI lists what the builtins call that a CI deploy (rollout, release, update, create,
// promote, destroy, status, logs) never needs, with the reason. Everything else the builtins
// call must be granted by the CI deploy role.
var notForCI = map[string]string{
	"logs:StartLiveTail":                          "logs --follow: interactive (and denied, it polls)",
	"logs:DescribeResourcePolicies":               "enabling Transaction Search: an administrator's account-wide change",
	"logs:PutResourcePolicy":                      "enabling Transaction Search: an administrator's account-wide change",
	"xray:UpdateTraceSegmentDestination":          "enabling Transaction Search: an administrator's account-wide change",
	"iam:ListOpenIDConnectProviders":              "ci role, run by an administrator",
	"secretsmanager:CreateSecret":                 "the secret command, run by a person",
	"secretsmanager:PutSecretValue":               "the secret command, run by a person",
	"secretsmanager:DeleteSecret":                 "the secret command, run by a person",
	"secretsmanager:ListSecrets":                  "the secret command, run by a person",
	"bedrock-agentcore:InvokeAgentRuntimeCommand": "exec and shell: a person's commands in a session, never a deploy's",
	// agentcore memory events|records|search|forget: people reading users' data, or deleting an
	// actor's; a deploy never reads or deletes what a memory holds.
	"bedrock-agentcore:ListActors":               "memory events: a person reading users' data",
	"bedrock-agentcore:ListSessions":             "memory events: a person reading users' data",
	"bedrock-agentcore:ListEvents":               "memory events: a person reading users' data",
	"bedrock-agentcore:ListMemoryRecords":        "memory records: a person reading users' data",
	"bedrock-agentcore:RetrieveMemoryRecords":    "memory search: a person reading users' data",
	"bedrock-agentcore:DeleteEvent":              "memory forget: a person deleting an actor's data",
	"bedrock-agentcore:BatchDeleteMemoryRecords": "memory forget: a person deleting an actor's data",
}

// cfnActions is what CloudFormation needs of the caller for each resource type of the
// templates the deploy recipes use (create, read, update, delete, tags), from the resource
// types' handler permissions in the CloudFormation registry schemas.
var cfnActions = map[string][]string{
	"AWS::ECR::Repository": {"ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories",
		"ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
		"ecr:PutImageScanningConfiguration", "ecr:TagResource", "ecr:UntagResource", "ecr:ListTagsForResource"},
	"AWS::IAM::Role": {"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
		"iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
		"iam:ListAttachedRolePolicies", "iam:TagRole", "iam:UntagRole"},
	"AWS::S3::Bucket": {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", "s3:GetBucketTagging",
		"s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration",
		"s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
		"s3:GetBucketOwnershipControls"},
	"AWS::S3::BucketPolicy":      {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"},
	"AWS::CloudWatch::Dashboard": {"cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"},
	"AWS::CloudWatch::Alarm": {"cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
		"cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"},
	"AWS::SNS::Topic": {"sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
		"sns:ListSubscriptionsByTopic", "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource"},
	"AWS::SNS::Subscription": {"sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes"},
}

// cfnNotForCI: resource types whose stacks CI does not create (with the reason).
var cfnNotForCI = map[string]string{
	"AWS::IAM::OIDCProvider":       "ci-role.yaml itself, deployed by an administrator",
	"AWS::Cognito::UserPool":       "cognito auth stacks: created by an administrator's first create (see the README)",
	"AWS::Cognito::UserPoolClient": "cognito auth stacks: created by an administrator's first create",
	"AWS::Cognito::IdentityPool":   "cognito auth stacks: created by an administrator's first create",
}

// sdkOperations returns the AWS API operations the Go code under dir calls, as
// "iamprefix:Operation": every OperationInput composite literal and New...Paginator call of an
// aws-sdk-go-v2 service package.
func sdkOperations(t *testing.T, dir string) map[string]string {
	ops := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		svc := map[string]string{}
		for _, im := range f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			rest, ok := strings.CutPrefix(path, "github.com/aws/aws-sdk-go-v2/service/")
			if !ok || strings.Contains(rest, "/") {
				continue
			}
			name := rest
			if im.Name != nil {
				name = im.Name.Name
			}
			prefix, known := iamPrefix[rest]
			if !known {
				t.Errorf("%s imports %s: add its IAM prefix to iamPrefix", p, path)
			}
			svc[name] = prefix
		}
		add := func(pkg, op string) {
			if prefix := svc[pkg]; prefix != "" && op != "" {
				ops[prefix+":"+op] = p
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && strings.HasSuffix(sel.Sel.Name, "Input") {
						add(id.Name, strings.TrimSuffix(sel.Sel.Name, "Input"))
					}
				}
			case *ast.CallExpr:
				// the ec2 module's own Query API client (builtins/ec2/query.go): c.call(ctx, "Action", ...)
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "call" && filepath.Base(filepath.Dir(p)) == "ec2" && len(x.Args) > 1 {
					if lit, ok := x.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						action, _ := strconv.Unquote(lit.Value)
						ops["ec2:"+action] = p
					}
				}
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "New") && strings.HasSuffix(sel.Sel.Name, "Paginator") {
					if id, ok := sel.X.(*ast.Ident); ok {
						add(id.Name, strings.TrimSuffix(strings.TrimPrefix(sel.Sel.Name, "New"), "Paginator"))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// ciRoleActions returns every action the CI role's policy allows (both branches of a
// condition).
func ciRoleActions(t *testing.T) map[string]bool {
	doc := load(t, "ci-role.yaml")
	role := doc["Resources"].(map[string]any)["Role"].(map[string]any)["Properties"].(map[string]any)
	got := map[string]bool{}
	for _, pol := range role["Policies"].([]any) {
		for _, s := range pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			m := s.(map[string]any)
			if br, ok := m["Fn::If"].([]any); ok {
				m, _ = br[1].(map[string]any)
			}
			if m == nil || m["Effect"] != "Allow" {
				continue
			}
			as, _ := strings1(m["Action"])
			for _, a := range as {
				got[a] = true
			}
		}
	}
	return got
}

// TestCIRoleCoversCalls: the CI deploy role grants every AWS operation the builtins call
// (unless notForCI says why CI never makes it) and what CloudFormation needs for every
// resource type of the templates the deploy recipes use. A builtin that starts calling a new
// operation fails here until the role (or notForCI) says how CI gets it.
func TestCIRoleCoversCalls(t *testing.T) {
	granted := ciRoleActions(t)
	ops := sdkOperations(t, filepath.Join("..", "builtins"))
	if len(ops) < 40 {
		t.Fatalf("found only %d operations under builtins: the scan is broken", len(ops))
	}
	var missing []string
	for op, file := range ops {
		need, mapped := iamActions[op]
		if !mapped {
			need = []string{op}
		}
		for _, a := range need {
			if _, skip := notForCI[a]; skip || granted[a] {
				continue
			}
			missing = append(missing, a+" (called in "+filepath.ToSlash(file)+")")
		}
	}
	entries, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range entries {
		if name == "ci-role.yaml" {
			continue
		}
		for id, r := range load(t, name)["Resources"].(map[string]any) {
			typ, _ := r.(map[string]any)["Type"].(string)
			if _, skip := cfnNotForCI[typ]; skip {
				continue
			}
			need, known := cfnActions[typ]
			if !known {
				t.Errorf("%s: resource %s of type %s: add what CloudFormation needs for it to cfnActions (or cfnNotForCI, with why)", name, id, typ)
			}
			for _, a := range need {
				if !granted[a] {
					missing = append(missing, a+" (CloudFormation, "+typ+" in "+name+")")
				}
			}
		}
	}
	sort.Strings(missing)
	missing = compactStrings(missing)
	for _, m := range missing {
		t.Errorf("the CI deploy role (templates/ci-role.yaml) does not grant %s", m)
	}
	for a, why := range notForCI {
		if why == "" {
			t.Errorf("notForCI[%s] gives no reason", a)
		}
	}
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
