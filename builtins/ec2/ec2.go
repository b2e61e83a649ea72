// Package ec2 is the `ec2` Lua module: what recipes read of the account's VPCs for runtimes
// in VPC mode (network = { subnets, security_groups }): whether the subnets and security
// groups exist in the environment's region, and the network interfaces AgentCore still holds
// in them. It only reads; AgentCore's service-linked role makes and deletes the interfaces.
package ec2

import (
	"context"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// ManagedTag is the tag AgentCore's network service-linked role puts on the interfaces it
// creates (BedrockAgentCoreNetworkServiceRolePolicy allows creating only interfaces carrying it).
const ManagedTag = "AmazonBedrockManaged"

// New returns the ec2 Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := &module{service: &awscall.Service[api]{AWS: a, Name: "ec2", New: newClient}}
	return &engine.Module{
		Name: "ec2",
		Doc:  "The VPC of an environment's runtimes, read-only: its subnets and security groups, and the network interfaces AgentCore holds in them.",
		Classes: []*engine.Class{
			{Name: "ec2.Subnet", Of: Subnet{}, Doc: "A subnet of the environment's region."},
			{Name: "ec2.Check", Of: Check{}, Doc: "What check_network found: the subnets and security groups that exist, and the IDs the region does not know."},
			{Name: "ec2.Interface", Of: Interface{}, Doc: "A network interface AgentCore made in a subnet (tag AmazonBedrockManaged)."},
		},
		Funcs: []engine.Func{
			{Name: "check_network", Params: "subnets: string[], security_groups: string[]", Returns: "ec2.Check",
				Doc: "Looks the subnets and security groups up in the environment's region (DescribeSubnets, DescribeSecurityGroups, one ID at a time so that each unknown ID is named): " +
					"missing_subnets and missing_security_groups list those the region does not have (another region's, or a typo); vpcs the VPCs the subnets are in.",
				Go: m.luaCheckNetwork},
			{Name: "managed_interfaces", Params: "subnets: string[], security_groups: string[]", Returns: "ec2.Interface[]",
				Doc: "The network interfaces AgentCore holds in those subnets with those security groups (DescribeNetworkInterfaces, filtered by subnet, group and the AmazonBedrockManaged tag), sorted by id; " +
					"destroy waits for them to go after a runtime in VPC mode is deleted.",
				Go: m.luaManagedInterfaces},
		},
	}
}

// api is what the module asks of EC2 (query.go): a subnet and a security group by id (nil,
// false when the region has none), and network interfaces by filter (name -> values).
type api interface {
	subnet(ctx context.Context, id string) (*Subnet, error)
	groupVPC(ctx context.Context, id string) (vpc string, found bool, err error)
	interfaces(ctx context.Context, filters map[string][]string) ([]Interface, error)
}

type module struct {
	service *awscall.Service[api]
}

// Subnet is one subnet found.
type Subnet struct {
	ID               string `json:"id"`
	VpcID            string `json:"vpc_id"`
	AvailabilityZone string `json:"availability_zone"`
}

// Check is what check_network found.
type Check struct {
	Subnets               []Subnet `json:"subnets" lua:"ec2.Subnet[]"`
	MissingSubnets        []string `json:"missing_subnets"`
	MissingSecurityGroups []string `json:"missing_security_groups"`
	VPCs                  []string `json:"vpcs"`
	SecurityGroupVPCs     []string `json:"security_group_vpcs"`
}

// Interface is one network interface.
type Interface struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	SubnetID    string `json:"subnet_id"`
	Description string `json:"description"`
}

// notFound tells EC2's "no such ID" errors (InvalidSubnetID.NotFound, InvalidGroup.NotFound...).
func notFound(err error) bool {
	code := awscall.ErrorCode(err)
	return strings.HasSuffix(code, ".NotFound") || strings.HasSuffix(code, ".Malformed") || awscall.IsNotFound(err)
}

func (m *module) luaCheckNetwork(L *lua.LState, subnets, groups engine.StringList) (Check, error) {
	return awscall.Call(L, m.service, "checking the subnets and security groups of network", func(ctx context.Context, c api) (Check, error) {
		out := Check{Subnets: []Subnet{}, MissingSubnets: []string{}, MissingSecurityGroups: []string{}, VPCs: []string{}, SecurityGroupVPCs: []string{}}
		vpcs, sgVPCs := map[string]bool{}, map[string]bool{}
		// One ID per call: EC2 fails the whole call for one unknown ID, and the user needs to
		// know which.
		for _, id := range subnets {
			s, err := c.subnet(ctx, id)
			if err != nil && !notFound(err) {
				return out, err
			}
			if s == nil {
				out.MissingSubnets = append(out.MissingSubnets, id)
				continue
			}
			out.Subnets = append(out.Subnets, *s)
			vpcs[s.VpcID] = true
		}
		for _, id := range groups {
			vpc, found, err := c.groupVPC(ctx, id)
			if err != nil && !notFound(err) {
				return out, err
			}
			if !found {
				out.MissingSecurityGroups = append(out.MissingSecurityGroups, id)
				continue
			}
			sgVPCs[vpc] = true
		}
		out.VPCs, out.SecurityGroupVPCs = sorted(vpcs), sorted(sgVPCs)
		return out, nil
	})
}

func (m *module) luaManagedInterfaces(L *lua.LState, subnets, groups engine.StringList) ([]Interface, error) {
	if len(subnets) == 0 {
		return []Interface{}, nil
	}
	return awscall.Call(L, m.service, "listing the network interfaces AgentCore holds", func(ctx context.Context, c api) ([]Interface, error) {
		out, err := c.interfaces(ctx, map[string][]string{"subnet-id": subnets, "group-id": groups, "tag-key": {ManagedTag}})
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = []Interface{}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out, nil
	})
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
