"""The browser page on AWS: a private S3 bucket behind CloudFront, HTTPS only.

`publish_page(name, websocket_url, parent=..., tags=...)` declares, as children of
`parent` (the `XoStack`), each named `{name}-...`:

- a private bucket (`force_destroy`, so `pulumi destroy` empties and deletes it), with
  object ownership enforced (no ACLs) and every kind of public access blocked;
- an origin access control and a CloudFront distribution reading the bucket through it,
  viewers on HTTPS only (plain HTTP is refused), the managed CachingOptimized cache
  policy and SecurityHeadersPolicy response headers, `index.html` at the root;
- a bucket policy letting only that distribution (`AWS:SourceArn`) read objects, and
  refusing any request not made over TLS;
- the page's files (`client.web.page_files`, each with its content type) and
  `config.json` beside them holding the stack's `wss://` URL (`client.web.page_config`).

Every object is served with `Cache-Control: no-cache`, so a new deployment shows at once.
`WEB_SETTING` (`xo:web`, default on) turns the whole page off: `web_enabled(config)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from client.page import CONFIG_CONTENT_TYPE, CONFIG_FILE, PAGE_DIR, page_config, page_files

WEB_SETTING = "web"
"""`pulumi config set xo:web false` publishes no page."""
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""CloudFront's managed cache policy CachingOptimized (its id is the same in every account)."""
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"
"""CloudFront's managed response headers policy SecurityHeadersPolicy (HSTS, nosniff, ...)."""
CACHE_CONTROL = "no-cache"
"""Browsers and CloudFront revalidate every file, so a `pulumi up` shows at once."""
CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
ORIGIN_ID = "page"


def web_enabled(config: pulumi.Config) -> bool:
    """Whether to publish the page: `xo:web`, on unless set to false."""
    value = config.get_bool(WEB_SETTING)
    return True if value is None else value


def bucket_policy(bucket_arn: str, distribution_arn: str) -> dict[str, Any]:
    """Only the distribution reads objects, and nobody reaches the bucket without TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheDistributionReads",
                "Effect": "Allow",
                "Principal": {"Service": CLOUDFRONT_SERVICE},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@dataclass(frozen=True)
class PublishedPage:
    """What `publish_page` made: where people open the page, and the two resources behind it."""

    url: pulumi.Output[str]
    """`https://{distribution domain}/`: the `webUrl` stack output."""
    bucket: aws.s3.Bucket
    distribution: aws.cloudfront.Distribution


def publish_page(
    name: str,
    websocket_url: pulumi.Input[str],
    *,
    parent: pulumi.Resource,
    tags: Mapping[str, str],
    page_dir: Path = PAGE_DIR,
) -> PublishedPage:
    """Publish the page in `page_dir`, pointed at `websocket_url` (see the module doc)."""

    def child(depends_on: list[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, depends_on=depends_on)

    files = page_files(page_dir)
    bucket = aws.s3.Bucket(name, force_destroy=True, tags=dict(tags), opts=child())
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child(),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child(),
    )
    access_control = aws.cloudfront.OriginAccessControl(
        f"{name}-access-control",
        name=bucket.id,  # bucket names are unique, and OAC names must be unique per account
        description="xo: CloudFront reads the page's bucket",
        origin_access_control_origin_type="s3",
        signing_behavior="always",
        signing_protocol="sigv4",
        opts=child(),
    )
    distribution = aws.cloudfront.Distribution(
        f"{name}-distribution",
        enabled=True,
        comment="xo: the browser page",
        default_root_object="index.html",
        is_ipv6_enabled=True,
        http_version="http2and3",
        price_class="PriceClass_100",
        origins=[
            aws.cloudfront.DistributionOriginArgs(
                origin_id=ORIGIN_ID,
                domain_name=bucket.bucket_regional_domain_name,
                origin_access_control_id=access_control.id,
            )
        ],
        default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            target_origin_id=ORIGIN_ID,
            viewer_protocol_policy="https-only",
            allowed_methods=["GET", "HEAD"],
            cached_methods=["GET", "HEAD"],
            compress=True,
            cache_policy_id=CACHING_OPTIMIZED,
            response_headers_policy_id=SECURITY_HEADERS,
        ),
        restrictions=aws.cloudfront.DistributionRestrictionsArgs(
            geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                restriction_type="none"
            )
        ),
        viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
            cloudfront_default_certificate=True
        ),
        tags=dict(tags),
        opts=child(),
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, distribution.arn).apply(
            lambda arns: json.dumps(bucket_policy(arns[0], arns[1]))
        ),
        # With every public access blocked first, the bucket is never public, even briefly.
        opts=child(depends_on=[public_access]),
    )
    for file_name, content_type in files.items():
        aws.s3.BucketObjectv2(
            f"{name}-{file_name}",
            bucket=bucket.id,
            key=file_name,
            source=pulumi.FileAsset(str(page_dir / file_name)),
            content_type=content_type,
            cache_control=CACHE_CONTROL,
            tags=dict(tags),
            opts=child(depends_on=[ownership]),
        )
    aws.s3.BucketObjectv2(
        f"{name}-{CONFIG_FILE}",
        bucket=bucket.id,
        key=CONFIG_FILE,
        content=pulumi.Output.from_input(websocket_url).apply(page_config),
        content_type=CONFIG_CONTENT_TYPE,
        cache_control=CACHE_CONTROL,
        tags=dict(tags),
        opts=child(depends_on=[ownership]),
    )
    url = pulumi.Output.concat("https://", distribution.domain_name, "/")
    return PublishedPage(url=url, bucket=bucket, distribution=distribution)
