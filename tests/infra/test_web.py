"""The browser page on AWS (infra/web.py), under Pulumi mocks: a private bucket that only the
stack's CloudFront distribution reads, served over HTTPS only, with a config pointing at the
stack's own WebSocket API; `xo:web=false` publishes none of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from client.page import CONFIG_FILE, PAGE_DIR
from infra.web import CACHING_OPTIMIZED, SECURITY_HEADERS
from tests.infra.stack_harness import Deployment, Registered, load_program

BUCKET = "aws:s3/bucket:Bucket"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
ACCESS_CONTROL = "aws:cloudfront/originAccessControl:OriginAccessControl"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_TYPES = {
    BUCKET,
    OWNERSHIP,
    PUBLIC_ACCESS_BLOCK,
    BUCKET_POLICY,
    OBJECT,
    ACCESS_CONTROL,
    DISTRIBUTION,
}
PAGE = {
    "index.html": "text/html; charset=utf-8",
    "xo.css": "text/css; charset=utf-8",
    "xo.js": "text/javascript; charset=utf-8",
}
"""What a browser must be told each file is (a script served as anything else does not run)."""


@pytest.fixture(scope="module")
def deployment() -> Deployment:
    return load_program()


@pytest.fixture(scope="module")
def bucket(deployment: Deployment) -> Registered:
    (found,) = deployment.of_type(BUCKET)
    return found


@pytest.fixture(scope="module")
def distribution(deployment: Deployment) -> Registered:
    (found,) = deployment.of_type(DISTRIBUTION)
    return found


def objects(deployment: Deployment, bucket: Registered) -> dict[str, Registered]:
    """The bucket's objects by key."""
    found = deployment.find(OBJECT, bucket=bucket.id)
    assert len(found) == len(deployment.of_type(OBJECT)), "an object in another bucket"
    return {str(o.inputs["key"]): o for o in found}


def test_the_bucket_is_private_with_every_public_access_blocked(
    deployment: Deployment, bucket: Registered
) -> None:
    """No ACL grants anything (ACLs are disabled), and S3 refuses public ACLs and policies."""
    assert "acl" not in bucket.inputs and "grants" not in bucket.inputs, f"{bucket}"
    assert "website" not in bucket.inputs, f"{bucket}: a public website endpoint"
    ownership = deployment.one(OWNERSHIP, bucket=bucket.id)
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, f"{ownership}"
    block = deployment.one(PUBLIC_ACCESS_BLOCK, bucket=bucket.id)
    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs.get(setting) is True, f"{block}: {setting}"


def test_only_the_stacks_distribution_reads_the_bucket(
    deployment: Deployment, bucket: Registered, distribution: Registered
) -> None:
    """One Allow: CloudFront's service may GetObject, on condition that the request comes from
    this stack's distribution (its ARN); everything without TLS is denied. The policy is put
    only once public access is blocked."""
    policy = deployment.one(BUCKET_POLICY, bucket=bucket.id)
    statements = policy.policy()["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "OnlyTheDistributionReads",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"{bucket.outputs['arn']}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution.outputs["arn"]}},
        }
    ], f"{policy}"
    assert distribution.outputs["arn"].startswith("arn:aws:cloudfront::")
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, f"{policy}"
    assert set(deny["Resource"]) == {bucket.outputs["arn"], f"{bucket.outputs['arn']}/*"}
    block = deployment.one(PUBLIC_ACCESS_BLOCK, bucket=bucket.id)
    assert block.urn in policy.dependencies, f"{policy}: may be put before public access is blocked"


def test_the_distribution_reads_the_bucket_through_origin_access_control(
    deployment: Deployment, bucket: Registered, distribution: Registered
) -> None:
    """The one origin is the bucket's regional endpoint, signed with SigV4 on every request."""
    (origin,) = distribution.inputs["origins"]
    assert origin["domainName"] == bucket.outputs["bucketRegionalDomainName"], f"{distribution}"
    assert "s3OriginConfig" not in origin, f"{distribution}: a legacy origin access identity"
    access_control = deployment.one(ACCESS_CONTROL)
    assert origin["originAccessControlId"] == access_control.id
    assert access_control.inputs["originAccessControlOriginType"] == "s3"
    assert access_control.inputs["signingBehavior"] == "always"
    assert access_control.inputs["signingProtocol"] == "sigv4"
    assert distribution.inputs["defaultCacheBehavior"]["targetOriginId"] == origin["originId"]


def test_viewers_use_https_only(distribution: Registered) -> None:
    """CloudFront refuses plain HTTP on every path (there is one cache behavior), with its own
    certificate; the page is cached by the managed policy, with security headers added."""
    behavior = distribution.inputs["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "https-only", f"{distribution}"
    assert "orderedCacheBehaviors" not in distribution.inputs, f"{distribution}"
    assert distribution.inputs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert sorted(behavior["allowedMethods"]) == ["GET", "HEAD"], f"{distribution}: writes"
    assert behavior["cachePolicyId"] == CACHING_OPTIMIZED
    assert behavior["responseHeadersPolicyId"] == SECURITY_HEADERS
    assert distribution.inputs["defaultRootObject"] == "index.html"
    assert distribution.inputs["enabled"] is True


def test_every_file_of_the_page_is_uploaded_with_its_content_type(
    deployment: Deployment, bucket: Registered
) -> None:
    """index.html, xo.css and xo.js from web/, each with its type, revalidated on every load."""
    uploaded = objects(deployment, bucket)
    assert set(uploaded) == {*PAGE, CONFIG_FILE}
    for key, content_type in PAGE.items():
        item = uploaded[key]
        assert item.inputs["contentType"] == content_type, f"{item}"
        source: Any = item.inputs["source"]
        assert Path(source.path) == PAGE_DIR / key, f"{item}: uploads {source.path}"
    for item in uploaded.values():
        assert item.inputs["cacheControl"] == "no-cache", f"{item}"


def test_the_config_beside_the_page_points_at_the_stacks_api(
    deployment: Deployment, bucket: Registered
) -> None:
    """config.json holds the stack's own wss:// URL (the websocketUrl output), as JSON."""
    config = objects(deployment, bucket)[CONFIG_FILE]
    assert config.inputs["contentType"] == "application/json", f"{config}"
    assert json.loads(config.inputs["content"]) == {
        "websocketUrl": deployment.exports["websocketUrl"]
    }
    assert deployment.exports["websocketUrl"].startswith("wss://")


def test_web_url_is_the_distributions_https_address(
    deployment: Deployment, distribution: Registered
) -> None:
    assert deployment.exports["webUrl"] == f"https://{distribution.outputs['domainName']}/"


def test_pulumi_destroy_removes_the_page_bucket_and_all(deployment: Deployment) -> None:
    """The bucket is deleted with whatever objects it holds; nothing of the page is retained."""
    (bucket,) = deployment.of_type(BUCKET)
    assert bucket.inputs.get("forceDestroy") is True, f"{bucket}"
    for resource in deployment.resources:
        if resource.type in WEB_TYPES:
            assert not resource.retain_on_delete, f"{resource}: kept by pulumi destroy"
            assert "retainOnDelete" not in resource.inputs, f"{resource}: kept by pulumi destroy"


def test_one_setting_turns_the_page_off() -> None:
    """`pulumi config set xo:web false`: no bucket, no distribution, no webUrl; the game stays."""
    without = load_program({"web": "false"})
    assert not [r for r in without.resources if r.type in WEB_TYPES]
    assert "webUrl" not in without.exports
    assert without.exports["websocketUrl"].startswith("wss://")
