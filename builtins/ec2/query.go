package ec2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
)

// The three EC2 reads this module makes go through this small client of EC2's Query API
// (form-encoded POST, SigV4, XML answers) rather than the SDK's ec2 package: that package
// adds some 40 MB to the binary for three Describe calls. The session's credentials, region,
// endpoint (an emulator's) and HTTP client are used as every SDK client uses them; errors
// carry EC2's code (smithy.APIError), so awscall explains them as any other AWS error.

const apiVersion = "2016-11-15"

// client calls EC2 in one environment.
type client struct {
	cfg awssdk.Config
}

func newClient(s *awscall.Session) api { return &client{cfg: s.Config} }

// endpoint is the session's base endpoint, or EC2's in its region.
func (c *client) endpoint() string {
	if e := awssdk.ToString(c.cfg.BaseEndpoint); e != "" {
		return strings.TrimSuffix(e, "/") + "/"
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(c.cfg.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://ec2." + c.cfg.Region + "." + domain + "/"
}

// apiError is an error answer of EC2: <Response><Errors><Error><Code>...
type apiError struct {
	Code    string `xml:"Errors>Error>Code"`
	Message string `xml:"Errors>Error>Message"`
	status  int
}

func (e *apiError) Error() string {
	return fmt.Sprintf("api error %s: %s", e.Code, e.Message)
}
func (e *apiError) ErrorCode() string    { return e.Code }
func (e *apiError) ErrorMessage() string { return e.Message }
func (e *apiError) ErrorFault() smithy.ErrorFault {
	if e.status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// call sends action with params and decodes the answer into out.
func (c *client) call(ctx context.Context, action string, params url.Values, out any) error {
	params.Set("Action", action)
	params.Set("Version", apiVersion)
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if c.cfg.Credentials == nil {
		return fmt.Errorf("no AWS credentials")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("getting AWS credentials: %w", err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "ec2", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("signing the request: %w", err)
	}
	hc := c.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &apiError{status: resp.StatusCode}
		if xml.Unmarshal(data, e) != nil || e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(data))
		}
		return e
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding EC2's %s answer: %w", action, err)
	}
	return nil
}

type subnetsOut struct {
	Subnets []struct {
		ID               string `xml:"subnetId"`
		VpcID            string `xml:"vpcId"`
		AvailabilityZone string `xml:"availabilityZone"`
	} `xml:"subnetSet>item"`
}

type groupsOut struct {
	Groups []struct {
		ID    string `xml:"groupId"`
		VpcID string `xml:"vpcId"`
	} `xml:"securityGroupInfo>item"`
}

type interfacesOut struct {
	Interfaces []struct {
		ID          string `xml:"networkInterfaceId"`
		SubnetID    string `xml:"subnetId"`
		Status      string `xml:"status"`
		Description string `xml:"description"`
	} `xml:"networkInterfaceSet>item"`
	NextToken string `xml:"nextToken"`
}

func (c *client) subnet(ctx context.Context, id string) (*Subnet, error) {
	var out subnetsOut
	if err := c.call(ctx, "DescribeSubnets", url.Values{"SubnetId.1": {id}}, &out); err != nil {
		return nil, err
	}
	if len(out.Subnets) == 0 {
		return nil, nil
	}
	s := out.Subnets[0]
	return &Subnet{ID: s.ID, VpcID: s.VpcID, AvailabilityZone: s.AvailabilityZone}, nil
}

func (c *client) groupVPC(ctx context.Context, id string) (string, bool, error) {
	var out groupsOut
	if err := c.call(ctx, "DescribeSecurityGroups", url.Values{"GroupId.1": {id}}, &out); err != nil {
		return "", false, err
	}
	if len(out.Groups) == 0 {
		return "", false, nil
	}
	return out.Groups[0].VpcID, true, nil
}

func (c *client) interfaces(ctx context.Context, filters map[string][]string) ([]Interface, error) {
	params := url.Values{}
	i := 1
	for _, name := range []string{"subnet-id", "group-id", "tag-key"} {
		vals := filters[name]
		if len(vals) == 0 {
			continue
		}
		params.Set(fmt.Sprintf("Filter.%d.Name", i), name)
		for j, v := range vals {
			params.Set(fmt.Sprintf("Filter.%d.Value.%d", i, j+1), v)
		}
		i++
	}
	var all []Interface
	for {
		var out interfacesOut
		if err := c.call(ctx, "DescribeNetworkInterfaces", params, &out); err != nil {
			return nil, err
		}
		for _, n := range out.Interfaces {
			all = append(all, Interface{ID: n.ID, Status: n.Status, SubnetID: n.SubnetID, Description: n.Description})
		}
		if out.NextToken == "" {
			return all, nil
		}
		params.Set("NextToken", out.NextToken)
	}
}
