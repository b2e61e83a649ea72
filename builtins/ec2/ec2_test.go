package ec2_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/agentcore/agentcore/builtins/aws/awstest"
	ec2mod "github.com/agentcore/agentcore/builtins/ec2"
	"github.com/agentcore/agentcore/engine/enginetest"
)

func TestMain(m *testing.M) { awstest.Main(m) }

// The ec2 module against moto's EC2, through the real SDK client: a VPC made here with the
// SDK, then check_network names what the region lacks (and not what it has), and
// managed_interfaces lists only AgentCore's interfaces (tag AmazonBedrockManaged) in the
// subnets asked for.
func TestNetwork(t *testing.T) {
	url := awstest.Moto(t)
	h := enginetest.New(t, ec2mod.New(awstest.AWS()))
	awstest.UseEnv(t, h, url)
	ctx := context.Background()
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: awssdk.String("10.9.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: awssdk.String("10.9.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: awssdk.String("ec2test"), Description: awssdk.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tagged := range []bool{true, false} {
		in := &ec2.CreateNetworkInterfaceInput{SubnetId: sub.Subnet.SubnetId, Groups: []string{*sg.GroupId}}
		if tagged {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeNetworkInterface,
				Tags: []types.Tag{{Key: awssdk.String(ec2mod.ManagedTag), Value: awssdk.String("true")}}}}
		}
		if _, err := c.CreateNetworkInterface(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	h.Do(t, fmt.Sprintf("SUBNET, SG, VPC = %q, %q, %q", *sub.Subnet.SubnetId, *sg.GroupId, *vpc.Vpc.VpcId))
	h.Do(t, `
		local ok = ec2.check_network({SUBNET}, {SG})
		assert(#ok.missing_subnets == 0 and #ok.missing_security_groups == 0, "all found")
		assert(#ok.vpcs == 1 and ok.vpcs[1] == VPC and ok.security_group_vpcs[1] == VPC, "one VPC")
		assert(ok.subnets[1].id == SUBNET and ok.subnets[1].availability_zone ~= "", "subnet described")
		local bad = ec2.check_network({SUBNET, "subnet-0123456789abcdef0"}, {"sg-0123456789abcdef0"})
		assert(#bad.missing_subnets == 1 and bad.missing_subnets[1] == "subnet-0123456789abcdef0", "the missing subnet named")
		assert(#bad.missing_security_groups == 1, "the missing group named")
		local enis = ec2.managed_interfaces({SUBNET}, {SG})
		assert(#enis == 1 and enis[1].id:find("^eni%-") and enis[1].subnet_id == SUBNET, "only AgentCore's interface: " .. #enis)
		assert(#ec2.managed_interfaces({}, {}) == 0, "no subnets, nothing asked")
	`)
}

// An EC2 error answer keeps its code, and the hint awscall gives it (here a permission the
// credentials lack); the request is a signed Query API POST.
func TestErrorAnswer(t *testing.T) {
	var got *http.Request
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = r.ParseForm()
		form = r.PostForm
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>x</RequestID></Response>`)
	}))
	defer srv.Close()
	h := enginetest.New(t, ec2mod.New(awstest.AWS()))
	awstest.UseEnv(t, h, srv.URL)
	err := h.Err(`ec2.check_network({"subnet-0123456789abcdef0"}, {"sg-0123456789abcdef0"})`)
	if err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") || !strings.Contains(err.Error(), "checking the subnets") {
		t.Fatalf("error %v", err)
	}
	if got == nil || got.Method != http.MethodPost || !strings.HasPrefix(got.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") ||
		!strings.Contains(got.Header.Get("Authorization"), "/us-east-1/ec2/aws4_request") {
		t.Fatalf("request %v %v", got.Method, got.Header)
	}
	if form.Get("Action") != "DescribeSubnets" || form.Get("SubnetId.1") != "subnet-0123456789abcdef0" || form.Get("Version") != "2016-11-15" {
		t.Fatalf("form %v", form)
	}
}
