"""The checks of iam resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from lsqm_checks_core import Aws, Resource, _matches, normalize_policy, values
from lsqm_checks_kms import _external_id_only


# -- IAM -------------------------------------------------------------------------------
def iam_role_can_be_assumed(aws: Aws, role: Resource) -> None:
    """STS issues credentials for the role, naming it in the assumed-role ARN, where its
    trust policy lets the test's caller assume it (as AWS would check)."""
    state = values(role)
    caller = aws("sts").get_caller_identity()
    external_id = trust_admits(
        state["assume_role_policy"], caller["Arn"], caller["Account"]
    )
    if external_id is False:
        pytest.skip(
            f"the trust policy of {state['name']} does not admit {caller['Arn']}"
        )
    extra = {"ExternalId": external_id} if isinstance(external_id, str) else {}
    got = aws("sts").assume_role(RoleArn=state["arn"], RoleSessionName="lsqm", **extra)
    assert state["name"] in got["AssumedRoleUser"]["Arn"], (
        f"assumed {got['AssumedRoleUser']}"
    )
    assert got["Credentials"]["AccessKeyId"], "assume_role returned no credentials"


def trust_admits(document: Any, caller: str, account: str) -> bool | str:
    """Whether a trust policy lets ``caller`` (of ``account``) assume the role: True, an
    external id the call must carry, or False (also when the policy's conditions or deny
    statements are beyond this check)."""
    try:
        statements = normalize_policy(document).get("Statement") or []
    except (ValueError, AttributeError):
        return False
    admitted: bool | str = False
    for statement in statements:
        if {"NotAction", "NotPrincipal"} & set(statement):
            return False
        if not _matches(statement.get("Action"), "sts:AssumeRole", ignore_case=True):
            continue
        principal = statement.get("Principal")
        aws_principals = (
            principal.get("AWS", []) if isinstance(principal, dict) else principal
        )
        listed = (
            aws_principals if isinstance(aws_principals, list) else [aws_principals]
        )
        names = {"*", account, f"arn:aws:iam::{account}:root", caller}
        if not names & set(listed):
            continue
        if statement.get("Effect") == "Deny":
            return False
        condition = statement.get("Condition") or {}
        external = _external_id_only(condition)
        if not condition:
            admitted = True
        elif external is not None and admitted is False:
            admitted = external
    return admitted


def iam_role_as_configured(aws: Aws, role: Resource) -> None:
    """The role exists with the configured trust policy."""
    state = values(role)
    got = aws("iam").get_role(RoleName=state["name"])["Role"]
    assert got["Arn"] == state["arn"], f"role ARN {got['Arn']} != {state['arn']}"
    trust = got["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(urllib.parse.unquote(trust))
    assert normalize_policy(trust) == normalize_policy(state["assume_role_policy"]), (
        f"trust policy of {state['name']} differs: {trust}"
    )


def iam_policy_attached(aws: Aws, attachment: Resource) -> None:
    """The managed policy is attached to the role."""
    state = values(attachment)
    got = aws("iam").list_attached_role_policies(RoleName=state["role"])[
        "AttachedPolicies"
    ]
    arns = [p["PolicyArn"] for p in got]
    assert state["policy_arn"] in arns, (
        f"{state['policy_arn']} not attached to {state['role']}"
    )


def iam_policy_attachment_as_configured(aws: Aws, attachment: Resource) -> None:
    """Every role named by an ``aws_iam_policy_attachment`` has the policy attached."""
    state = values(attachment)
    for role in state.get("roles") or []:
        got = aws("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        assert state["policy_arn"] in [p["PolicyArn"] for p in got], (
            f"not attached to {role}"
        )


def iam_role_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The inline role policy returns the configured document."""
    state = values(policy)
    got = aws("iam").get_role_policy(RoleName=state["role"], PolicyName=state["name"])
    document = got["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "inline policy differs"
    )


def iam_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The managed policy's default version is the configured document."""
    state = values(policy)
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=state["arn"])["Policy"]["DefaultVersionId"]
    got = iam.get_policy_version(PolicyArn=state["arn"], VersionId=version)[
        "PolicyVersion"
    ]
    document = got["Document"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "policy differs"
    )
