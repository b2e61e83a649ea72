"""moto_server for the AWS-path end-to-end scripts, with two changes (docs/moto-differences.md):

1. AgentCore runtimes and endpoints go from UPDATING back to READY, as AWS documents. moto's
   state machine knows only CREATING -> READY, so an updated runtime would answer UPDATING for
   ever and no update could be tested.
2. A stack update of an AWS::IAM::Role applies its AssumeRolePolicyDocument and Policies, as
   AWS does (moto only updates the description), so a changed trust policy can be tested.
3. CloudFormation creates AWS::IAM::OIDCProvider resources (through moto's own IAM backend, as
   CreateOpenIDConnectProvider does); moto skips that resource type with a warning, so the CI
   role's stack would leave the account without its provider.

Everything else is moto as installed."""
import sys

from moto.bedrockagentcorecontrol import models

for cls in (models.AgentRuntime, models.AgentRuntimeEndpoint):
    original = cls.__init__

    def init(self, *args, _original=original, **kwargs):
        _original(self, *args, **kwargs)
        self._transitions = list(self._transitions) + [("UPDATING", "READY")]

    cls.__init__ = init

from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402


class OIDCProviderResource(CloudFormationModel):
    """AWS::IAM::OIDCProvider: Ref and Fn::GetAtt Arn are the provider's ARN."""

    __module__ = "moto.iam.models"  # moto files models by the service named in their module

    def __init__(self, provider):
        self.provider = provider

    @staticmethod
    def cloudformation_type():
        return "AWS::IAM::OIDCProvider"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.provider.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        return self.provider.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = iam_backends[account_id][get_partition(region_name)]
        provider = backend.create_open_id_connect_provider(
            props["Url"], props.get("ThumbprintList") or [], props.get("ClientIdList") or [], props.get("Tags") or [])
        return cls(provider)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = iam_backends[account_id][get_partition(region_name)]
        backend.delete_open_id_connect_provider(resource_name)

    def delete(self, account_id, region_name):
        iam_backends[account_id][get_partition(region_name)].delete_open_id_connect_provider(self.provider.arn)


import json  # noqa: E402

from moto.iam.models import Role  # noqa: E402

_role_update = Role.update_from_cloudformation_json.__func__


def _update_role(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    role = _role_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    props = cloudformation_json["Properties"]
    backend = iam_backends[account_id][get_partition(region_name)]
    doc = props.get("AssumeRolePolicyDocument")
    if doc is not None:
        backend.update_assume_role_policy(role.name, doc if isinstance(doc, str) else json.dumps(doc))
    for policy in props.get("Policies", []):
        role.put_policy(policy["PolicyName"], policy["PolicyDocument"])
    return role


Role.update_from_cloudformation_json = classmethod(_update_role)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
